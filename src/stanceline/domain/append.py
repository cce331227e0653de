"""Numbering, versioning and chaining a batch: the pure heart of an append, shared by stores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from stanceline.domain.digest import link_hash
from stanceline.domain.events import PreparedEvent, RecordedEvent, format_timestamp
from stanceline.errors import IdConflict, VersionConflict


@dataclass(slots=True)
class Appended:
    """What an append answers for one event."""

    id: str
    position: int
    stream: str
    version: int
    recorded_at: datetime
    hash: str
    # True when the event was already in the log and this is its original answer.
    replayed: bool = field(default=False, compare=False)


    @classmethod
    def of(cls, event: RecordedEvent) -> Appended:
        """The answer for an event already in the log."""
        return cls(event.id, event.position, event.stream, event.version, event.recorded_at,
                   event.hash)


@dataclass(frozen=True, slots=True)
class AppendPlan:
    """The rows to insert and the answer to give, in the batch's order."""

    new: list[RecordedEvent]
    answer: list[Appended]


def dedupe_batch(batch: Sequence[PreparedEvent]) -> list[PreparedEvent]:
    """Drop repeats of an id inside one batch; the same id with other content is refused."""
    seen: dict[str, PreparedEvent] = {}
    unique: list[PreparedEvent] = []
    for index, event in enumerate(batch):
        first = seen.get(event.id)
        if first is None:
            seen[event.id] = event
            unique.append(event)
        elif not first.same_as(event):
            raise IdConflict(f"events.{index}: id {event.id} appears twice in the batch "
                             "with different content")
    return unique


def plan_append(
    batch: Sequence[PreparedEvent],
    stored: Mapping[str, RecordedEvent],
    stream_versions: Mapping[str, int],
    expect: Mapping[str, int],
    head_position: int,
    head_hash: str,
    now: datetime,
) -> AppendPlan:
    """Decide positions, versions and hashes for `batch` given what the log already holds.

    `stored` maps the batch's ids that are already in the log to their events: those are
    answered with the original result (an idempotent replay) and not stored twice.
    `stream_versions` has the current version of each stream the batch touches.
    """
    answer: list[Appended] = []
    fresh: list[PreparedEvent] = []
    for event in batch:
        original = stored.get(event.id)
        if original is None:
            fresh.append(event)
        elif event.same_as(original):
            answer.append(replace(Appended.of(original), replayed=True))
        else:
            raise IdConflict(f"id {event.id} is already used by another event "
                             f"(position {original.position})")
    if not fresh:
        # A replay of an acknowledged batch: its `expect` held when it was first applied.
        return AppendPlan([], answer)
    for stream, expected in expect.items():
        current = stream_versions.get(stream, 0)
        if current != expected:
            raise VersionConflict(f"stream {stream!r} is at version {current}, "
                                  f"expected {expected}")
    versions = dict(stream_versions)
    position, prev = head_position, head_hash
    stamp = format_timestamp(now)
    new: list[RecordedEvent] = []
    for event in fresh:
        position += 1
        version = versions.get(event.stream, 0) + 1
        versions[event.stream] = version
        digest = link_hash(prev, position, version, stamp, event.digest)
        new.append(RecordedEvent(
            position=position, id=event.id, stream=event.stream, version=version,
            type=event.type, schema_version=event.schema_version, occurred=event.occurred,
            occurred_start=event.occurred_start, occurred_end=event.occurred_end,
            precision=event.precision, occurred_text=event.occurred_text,
            relative_to=event.relative_to, recorded_at=now, data=event.data,
            source=event.source, supersedes=event.supersedes, disputed=event.disputed,
            note=event.note, data_json=event.data_json, source_json=event.source_json,
            hash=digest, prev_hash=prev, actor=event.actor, topic=event.topic, key=event.key,
            recorded_by=event.recorded_by,
        ))
        prev = digest
    by_id = {e.id: Appended.of(e) for e in new}
    replayed = {a.id: a for a in answer}
    return AppendPlan(new, [replayed.get(e.id) or by_id[e.id] for e in batch])
