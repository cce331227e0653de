"""What a retraction or a correction may void, and where it goes (issue 14.8). Pure: the store
hands in what the batch's targets are (`Target`), read inside the append's own transaction.

The rules, each because the alternative leaves a void with no defined meaning:

- A retraction (`event.retracted`) or a correction (`supersedes`) voids one event that exists
  (in the log or in the same batch), never itself, and never a retraction: a retraction is
  final. To restore what it retracted, re-append that event's content under a new id.
- An event is voided at most once: a second retraction, or a second correction of the same
  event, is refused (retract or correct the correction instead). So corrections form chains,
  never trees or cycles (`a` supersedes `b` supersedes `a` is refused).
- A retraction also carries no `supersedes` (it would void two events at once).
- A void goes on its target's stream, so it is a change to that stream: its version moves,
  and an `expect` on the stream, by anyone, sees it. A retraction left on the default stream
  (`corrections`) is placed there by the store; a retraction or correction that names
  another stream is refused (a correction that moves an event to another actor is a
  retraction of it plus a new event).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from stanceline.domain.digest import content_digest
from stanceline.domain.events import PreparedEvent, RecordedEvent
from stanceline.errors import InvalidInput

RETRACTION = "event.retracted"
# The stream a retraction gets when the client names none (`events.default_stream`): a
# placeholder the store replaces with the target's stream.
UNPLACED = "corrections"


@dataclass(frozen=True, slots=True)
class Target:
    """What an event a batch voids is, as the log holds it: its type and stream, and the
    event that already voids it (None: nothing does) with that event's type."""

    id: str
    type: str
    stream: str
    voided_by: str | None = None
    voided_by_type: str | None = None


def aim(event: PreparedEvent | RecordedEvent) -> str | None:
    """The id an event voids (the rule of `projections.retraction_target`, for either kind
    of event)."""
    if event.type == RETRACTION:
        target = event.data.get("target")
        return None if target is None else str(target)
    return event.supersedes


def wanted(batch: Sequence[PreparedEvent | RecordedEvent]) -> set[str]:
    """The ids the batch voids that a store must look up (those not in the batch itself)."""
    return {t for e in batch if (t := aim(e)) is not None} - {e.id for e in batch}


def place(batch: Sequence[PreparedEvent], targets: Mapping[str, Target]) -> None:
    """Put each retraction left on the default stream on its target's stream (in place,
    digest included), replays too, so a retried retraction compares equal to its original.
    Unknown targets are left for `check` to name."""
    in_batch = {e.id: e for e in batch}
    for event in batch:
        target = aim(event)
        if event.type != RETRACTION or event.stream != UNPLACED or target is None:
            continue
        found = in_batch.get(target)
        stream = found.stream if found is not None else (
            targets[target].stream if target in targets else None)
        if stream is not None and stream != event.stream:
            event.stream = stream
            event.digest = content_digest(event)


def check(batch: Sequence[PreparedEvent | RecordedEvent], targets: Mapping[str, Target],
          replayed: Collection[str] = (), *, placed: bool = True,
          where: Sequence[str] | None = None) -> None:
    """Refuse the batch if any void breaks a rule of the module docstring.

    `targets` holds what the log says of every id in `wanted(batch)` that exists. Events
    whose ids are `replayed` were checked when first appended. `placed=False` skips the
    stream rule (an import of a log written before it). `where` names each event in the
    messages (default: `events.<index>`).
    """
    names = list(where) if where is not None else [f"events.{i}" for i in range(len(batch))]
    in_batch = {e.id: e for e in batch}
    _refuse_cycles(batch, in_batch, names)
    voided: dict[str, PreparedEvent | RecordedEvent] = {}
    for index, event in enumerate(batch):
        target = aim(event)
        if target is None:
            continue
        if event.id in replayed:
            voided[target] = event
            continue
        name = names[index]
        path = f"{name}.data.target" if event.type == RETRACTION else f"{name}.supersedes"
        if event.type == RETRACTION and event.supersedes is not None:
            _refuse(f"{name}.supersedes", "a retraction voids its `target` only; it cannot "
                    "also supersede an event")
        if target == event.id:
            _refuse(path, f"event {target} cannot retract or supersede itself")
        mine = in_batch.get(target)
        known = targets.get(target)
        if mine is not None:
            kind, stream = mine.type, mine.stream
        elif known is not None:
            kind, stream = known.type, known.stream
        else:
            _refuse(path, f"no event with id {target} to retract or supersede")
        if kind == RETRACTION:
            _refuse(path, f"event {target} is a retraction, and a retraction is final: to "
                    "restore the event it retracted, append that event's content again "
                    "under a new id")
        # Voided earlier in this batch, or already in the log (an event of the batch itself
        # cannot be voided in the log yet).
        earlier = voided.get(target)
        by, by_type = (None, None)
        if earlier is not None:
            by, by_type = earlier.id, earlier.type
        elif known is not None and mine is None:
            by, by_type = known.voided_by, known.voided_by_type
        if by is not None:
            how = "retracted" if by_type == RETRACTION else "superseded"
            _refuse(path, f"event {target} is already {how} by {by}: an event is voided "
                    f"once; retract or correct {by} instead")
        if placed and event.stream != stream:
            _refuse(f"{name}.stream", f"event {target} is on stream {stream!r}: a "
                    "retraction or correction goes on its target's stream (so an `expect` "
                    f"on it sees the change), not {event.stream!r}; to move an event to "
                    "another stream, retract it and append the new one")
        voided[target] = event


def _refuse_cycles(batch: Sequence[PreparedEvent | RecordedEvent],
                   in_batch: Mapping[str, PreparedEvent | RecordedEvent],
                   names: Sequence[str]) -> None:
    """Corrections inside one batch may point forward; following them must never come back
    (each event voids at most one, so a walk either leaves the batch or loops)."""
    index = {e.id: i for i, e in enumerate(batch)}
    for start in batch:
        seen = {start.id}
        current = aim(start)
        while current is not None and current in in_batch and current != start.id:
            if current in seen:
                break  # a loop not through `start`: reported when the walk starts on it
            seen.add(current)
            current = aim(in_batch[current])
        if current == start.id and len(seen) > 1:
            chain = " -> ".join(sorted(seen, key=index.__getitem__))
            _refuse(f"{names[index[start.id]]}.supersedes",
                    f"the corrections form a cycle ({chain}): each must correct an earlier "
                    "event")


def _refuse(path: str, message: str) -> NoReturn:
    raise InvalidInput(f"{path}: {message}", [{"path": path, "message": message}])
