"""The in-memory store: the same contract as the SQL store, answering from plain folds."""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from stanceline.domain import corrections, imports, integrity, lanes, projections
from stanceline.domain.append import Appended, dedupe_batch, plan_append
from stanceline.domain.chain import GENESIS, ChainChecker, ChainReport, verify_chain
from stanceline.domain.checkpoint import Checkpoint, Signer
from stanceline.domain.directory import (
    ActorEntry,
    DocumentEntry,
    TopicEntry,
    document_entry,
    published_within,
)
from stanceline.domain.events import PreparedEvent, RecordedEvent, referenced_actors, utc_now
from stanceline.domain.names import fold
from stanceline.domain.projections import Change, Stance
from stanceline.domain.quotes import normalise
from stanceline.domain.registry import names_of
from stanceline.domain.upcast import UPCASTERS, upcast
from stanceline.domain.voids import Void, voids_of
from stanceline.errors import InvalidInput
from stanceline.store.base import EventFilter, Head


class InMemoryStore:
    """A log held in a list; for tests and as the reference the SQL store is checked against.

    `_events` holds the events as stored; every read but `iter_all` sees them upcast, as the
    SQL store's reads do.
    """

    def __init__(self) -> None:
        self._events: list[RecordedEvent] = []
        self._by_id: dict[str, RecordedEvent] = {}
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()
        self._checkpoints: list[Checkpoint] = []

    def append(
        self, batch: Sequence[PreparedEvent], expect: Mapping[str, int] | None = None
    ) -> list[Appended]:
        """Append atomically: the plan is made and checked before anything changes."""
        unique = dedupe_batch(batch)
        with self._lock:
            stored = {e.id: self._by_id[e.id] for e in unique if e.id in self._by_id}
            voiding = any(corrections.aim(e) is not None for e in unique)
            targets = self._targets(corrections.wanted(unique)) if voiding else {}
            if voiding:
                corrections.place(unique, targets)
            for candidate in unique:
                if candidate.id in stored:
                    integrity.align_replay(candidate, stored[candidate.id])
            if len(stored) < len(unique):
                integrity.check(unique, self._known(), normalise, replayed=stored)
                if voiding:
                    corrections.check(unique, targets, replayed=stored)
            head = self._events[-1] if self._events else None
            plan = plan_append(unique, stored, self._versions, expect or {},
                               0 if head is None else head.position,
                               GENESIS if head is None else head.hash, utc_now())
            self._keep(plan.new)
        return plan.answer

    def _targets(self, ids: Collection[str]) -> dict[str, corrections.Target]:
        """What the log holds for each id a batch voids (the SQL store's `voids.targets`)."""
        present = [i for i in ids if i in self._by_id]
        voided = voids_of(self._events, present)
        found: dict[str, corrections.Target] = {}
        for target in present:
            held, void = self._by_id[target], voided.get(target)
            found[target] = corrections.Target(
                target, held.type, held.stream, None if void is None else void.by,
                None if void is None else self._by_id[void.by].type)
        return found

    def _known(self) -> integrity.Known:
        """The whole registry, from the folds (a memory store is small)."""
        actors = {a.actor: a for a in projections.actor_directory(self._events)}
        topics = {t.topic: t for t in projections.topic_directory(self._events)}
        texts = {d: str(e.data["text"]) for d, e in projections.documents(self._events).items()}
        holders = {fold(n): a.actor for a in actors.values() for n in names_of(a)}
        return integrity.Known(
            actors=actors, topics=set(topics), documents={d: normalise(t) for d, t in
                                                          texts.items()},
            originals=texts, holders=holders,
            choices=lambda: ({a.actor: (a.name, *a.aliases) for a in actors.values()},
                             {t.topic: (t.title,) for t in topics.values()}))

    def _keep(self, new: Iterable[RecordedEvent]) -> None:
        for event in new:
            self._events.append(event)
            self._by_id[event.id] = event
            self._versions[event.stream] = event.version

    def guard_bypass(self) -> str | None:
        """No database, no role: nothing to report."""
        return None

    def grant_app(self, role: str) -> list[str]:
        """No database, no role to grant anything."""
        raise InvalidInput("roles are PostgreSQL's: the in-memory store has none")

    def rebuild(self) -> int:
        """Nothing to rebuild: every answer is a fold over the list."""
        return len(self._events)

    def import_events(self, recorded: Iterable[RecordedEvent]) -> int:
        """Restore an exported log into this empty store, checking the chain."""
        with self._lock:
            if self._events:
                raise InvalidInput("import needs an empty store: this one already has events")
            checker = ChainChecker()
            restored: list[RecordedEvent] = []
            for event in recorded:
                checker.check(event)
                restored.append(event)
            # As an append checks it: the whole import is one page against an empty log.
            imports.check_page(restored, lambda _page: self._known(), lambda _ids: {},
                               normalise)
            self._keep(restored)
        return len(restored)

    def _log(self) -> list[RecordedEvent]:
        """The events as the reads see them: upcast to their current schema versions."""
        return [upcasted(e) for e in self._events]

    def get(self, event_id: str) -> RecordedEvent | None:
        """One event by id."""
        found = self._by_id.get(event_id)
        return None if found is None else upcasted(found)

    def read(self, flt: EventFilter) -> list[RecordedEvent]:
        """Events matching `flt`, in position order."""
        found: list[RecordedEvent] = []
        for stored in self._events[flt.after:]:
            event = upcasted(stored)
            if matches(event, flt):
                found.append(event)
                if len(found) >= flt.limit:
                    break
        return found

    def iter_all(self, after: int = 0) -> Iterator[RecordedEvent]:
        """Every event after a position."""
        yield from self._events[after:]

    def voids(self, ids: Collection[str], known_at: datetime | None = None
              ) -> dict[str, Void]:
        """The first void of each id recorded by `known_at`."""
        return voids_of(self._events, ids, known_at)

    def head(self) -> int:
        """The last position."""
        return len(self._events)

    def head_mark(self) -> Head:
        """The last event's position, hash and recording time."""
        if not self._events:
            return Head(0, GENESIS, None)
        last = self._events[-1]
        return Head(last.position, last.hash, last.recorded_at)

    def verify(self, deep: bool = False) -> ChainReport:
        """Walk the chain (and the derived columns). `deep` finds nothing more here: every
        answer is a fold over the list, so no stored projection can differ from the log."""
        return verify_chain(self._events)

    def checkpoint(self, signer: Signer) -> Checkpoint:
        """The signer's checkpoint of the head, signed now when the newest is behind it."""
        with self._lock:
            head = (self._events[-1].position, self._events[-1].hash) if self._events else (
                0, GENESIS)
            found = next((c for c in reversed(self._checkpoints)
                          if c.public_key == signer.public_key), None)
            if found is not None and (found.position, found.hash) == head:
                return found
            signed = signer.sign(head[0], head[1], utc_now())
            self._checkpoints.append(signed)
            return signed

    # -- projections: the pure folds, straight over the list -----------------------------
    def stance(self, actor: str, topic: str, as_of: date, known_at: datetime | None = None,
               *, speaker: str | None = None, reported: date | None = None) -> Stance:
        """The fold of DESIGN §4."""
        return projections.stance_as_of(self._log(), actor, topic, as_of, known_at,
                                        speaker=speaker, reported=reported)

    def matrix(self, as_of: date, known_at: datetime | None = None, *,
               actor: str | None = None, topic: str | None = None) -> list[Stance]:
        """The fold of every pair (the reference the SQL store's one statement must match)."""
        return [self.stance(a, t, as_of, known_at)
                for a, t in self.stance_pairs(actor, topic)]

    def voiced_pairs(self, speaker: str, topic: str | None = None) -> list[tuple[str, str]]:
        """The pairs a person voiced a stance for, and their own."""
        return sorted({(str(e.actor), str(e.topic)) for e in self._log()
                       if e.type == projections.STANCE
                       and (topic is None or e.topic == topic)
                       and (e.actor == speaker or e.data.get("speaker") == speaker)})

    def stance_pairs(self, actor: str | None = None,
                     topic: str | None = None) -> list[tuple[str, str]]:
        """Every (actor, topic) with a stance event."""
        return projections.stance_pairs(self._log(), actor, topic)

    def history(self, actor: str, topic: str, known_at: datetime | None = None, *,
                speaker: str | None = None) -> list[Change]:
        """Each change of stance."""
        return projections.history(self._log(), actor, topic, known_at, speaker=speaker)

    def changed_pairs(self, start: date, end: date, topic: str | None = None,
                      known_at: datetime | None = None) -> list[tuple[str, str]]:
        """Every pair: the caller compares their stances at both dates."""
        return projections.stance_pairs(self._log(), None, topic)

    def claims(self, subject: str | None, as_of: date | None,
               known_at: datetime | None = None) -> list[RecordedEvent]:
        """Claims in date order."""
        return projections.claims(self._log(), subject, as_of, known_at)

    def actors(self, q: str | None = None) -> list[ActorEntry]:
        """The actor directory."""
        found = projections.actor_directory(self._log())
        if q:
            needle = fold(q)
            found = [a for a in found if any(needle in fold(n) for n in
                                             (a.actor, a.name, *a.aliases))]
        return sorted(found, key=lambda a: (a.kind, a.name))

    def actor(self, actor: str) -> ActorEntry | None:
        """One registered actor."""
        return next((a for a in projections.actor_directory(self._log())
                     if a.actor == actor), None)

    def actor_kind(self, actor: str) -> str | None:
        """An actor's kind, or None if it is not registered."""
        found = self.actor(actor)
        return None if found is None else found.kind

    def resolve(self, name: str) -> list[str]:
        """The actor ids a name or alias stands for."""
        needle = fold(name)
        return sorted(a.actor for a in projections.actor_directory(self._log())
                      if needle in {fold(n) for n in (a.actor, a.name, *a.aliases)})

    def topics(self) -> list[TopicEntry]:
        """Every defined topic."""
        return projections.topic_directory(self._log())

    def documents(self, publisher: str | None = None, first: date | None = None,
                  last: date | None = None) -> list[DocumentEntry]:
        """Registered documents in order of registration."""
        found = [document_entry(e) for e in projections.documents(self._events).values()]
        return [d for d in found
                if (publisher is None or (d.publisher or "").lower() == publisher.lower())
                and published_within(d.published, first, last)]

    def document(self, document: str) -> tuple[DocumentEntry, str] | None:
        """One document and its text."""
        event = projections.documents(self._events).get(document)
        return None if event is None else (document_entry(event), str(event.data["text"]))

    def citing(self, document: str, limit: int = 1_000) -> list[RecordedEvent]:
        """The events citing a document, in log order."""
        return [e for e in self._log() if (e.source or {}).get("document") == document][:limit]

    def document_texts(self, ids: Collection[str] | None = None) -> dict[str, str]:
        """The texts of the registered documents among `ids` (None: all)."""
        return {d: str(e.data["text"]) for d, e in projections.documents(self._events).items()
                if ids is None or d in ids}

    def count(self, flt: EventFilter) -> int:
        """How many events match."""
        return sum(1 for e in self._log() if matches(e, flt))

    def lane_totals(self, flt: EventFilter) -> dict[str, int]:
        """Matching dated events counted by lane actor."""
        return lanes.lane_totals(self._grouped(flt))

    def buckets(self, flt: EventFilter, kept: Collection[str] | None = None
                ) -> list[lanes.BucketRow]:
        """Matching dated events counted by (actor, month, stance or type); with `kept`, the
        other lanes' are summed under "*"."""
        return lanes.fold(self._grouped(flt), kept)

    def _grouped(self, flt: EventFilter) -> list[lanes.BucketRow]:
        counts: dict[tuple[str, str, str], int] = {}
        for event in self._log():
            if matches(event, flt) and event.occurred_start is not None:
                key = (event.actor or "", event.occurred_start.strftime("%Y-%m"),
                       str(event.data.get("stance") or event.type))
                counts[key] = counts.get(key, 0) + 1
        return [(*k, n) for k, n in counts.items()]

    def close(self) -> None:
        """Nothing to release."""


def upcasted(event: RecordedEvent) -> RecordedEvent:
    """An event at its current schema version (the stored one is left as it is)."""
    if (event.type, event.schema_version) not in UPCASTERS:
        return event
    # The upcasters get a fresh copy of the stored data, as they do from the SQL store.
    version, data = upcast(event.type, event.schema_version, json.loads(event.data_json))
    return replace(event, schema_version=version, data=data)


def matches(event: RecordedEvent, flt: EventFilter) -> bool:
    """Whether an event passes a filter (the reference for the SQL store's WHERE clause)."""
    if flt.actor is not None and event.actor != flt.actor \
            and flt.actor not in referenced_actors(event.type, event.data):
        return False
    if flt.topic is not None and event.topic != flt.topic:
        return False
    if flt.type is not None and event.type != flt.type:
        return False
    if flt.occurred_from is not None and (event.occurred_end is None
                                          or event.occurred_end < flt.occurred_from):
        return False
    if flt.occurred_to is not None and (event.occurred_start is None
                                        or event.occurred_start > flt.occurred_to):
        return False
    if flt.recorded_by is not None and event.recorded_by != flt.recorded_by:
        return False
    return flt.known_at is None or event.recorded_at <= flt.known_at
