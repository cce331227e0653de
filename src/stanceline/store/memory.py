"""The in-memory store: the same contract as the SQL store, answering from plain folds."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence

from stanceline.domain.append import Appended, dedupe_batch, plan_append
from stanceline.domain.chain import GENESIS, ChainReport, verify_chain
from stanceline.domain.events import PreparedEvent, RecordedEvent, referenced_actors, utc_now
from stanceline.errors import InvalidInput
from stanceline.store.base import EventFilter


class InMemoryStore:
    """A log held in a list; for tests and as the reference the SQL store is checked against."""

    def __init__(self) -> None:
        self._events: list[RecordedEvent] = []
        self._by_id: dict[str, RecordedEvent] = {}
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    def append(
        self, batch: Sequence[PreparedEvent], expect: Mapping[str, int] | None = None
    ) -> list[Appended]:
        """Append atomically: the plan is made and checked before anything changes."""
        unique = dedupe_batch(batch)
        with self._lock:
            stored = {e.id: self._by_id[e.id] for e in unique if e.id in self._by_id}
            head = self._events[-1] if self._events else None
            plan = plan_append(unique, stored, self._versions, expect or {},
                               0 if head is None else head.position,
                               GENESIS if head is None else head.hash, utc_now())
            batch_ids = {e.id for e in plan.new}
            for event in plan.new:
                target = (event.data["target"] if event.type == "event.retracted"
                          else event.supersedes)
                if target is not None and target not in self._by_id and target not in batch_ids:
                    raise InvalidInput(f"no event with id {target} to retract or supersede",
                                       [{"path": "supersedes", "message": f"unknown {target}"}])
            for event in plan.new:
                self._events.append(event)
                self._by_id[event.id] = event
                self._versions[event.stream] = event.version
        return plan.answer

    def get(self, event_id: str) -> RecordedEvent | None:
        """One event by id."""
        return self._by_id.get(event_id)

    def read(self, flt: EventFilter) -> list[RecordedEvent]:
        """Events matching `flt`, in position order."""
        found: list[RecordedEvent] = []
        for event in self._events[flt.after:]:
            if matches(event, flt):
                found.append(event)
                if len(found) >= flt.limit:
                    break
        return found

    def iter_all(self, after: int = 0) -> Iterator[RecordedEvent]:
        """Every event after a position."""
        yield from self._events[after:]

    def head(self) -> int:
        """The last position."""
        return len(self._events)

    def verify(self) -> ChainReport:
        """Walk the chain."""
        return verify_chain(self._events)

    def close(self) -> None:
        """Nothing to release."""


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
    return flt.known_at is None or event.recorded_at <= flt.known_at
