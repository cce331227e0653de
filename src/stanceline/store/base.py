"""The EventStore protocol that every store (in-memory, SQLite, PostgreSQL) keeps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from stanceline.domain.append import Appended
from stanceline.domain.chain import ChainReport
from stanceline.domain.events import PreparedEvent, RecordedEvent
from stanceline.domain.projections import Change, Stance


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What `read` selects: every field narrows; `after` is a position cursor."""

    actor: str | None = None
    topic: str | None = None
    type: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    known_at: datetime | None = None
    after: int = 0
    limit: int = 100


class EventStore(Protocol):
    """An append-only, hash-chained event log with its projections."""

    def append(
        self, batch: Sequence[PreparedEvent], expect: Mapping[str, int] | None = None
    ) -> list[Appended]:
        """Append atomically; replayed ids answer their original result."""
        ...

    def rebuild(self) -> int:
        """Recompute every projection from the log; the number of events."""
        ...

    def import_events(self, recorded: Iterable[RecordedEvent]) -> int:
        """Restore an exported log, row for row, into an empty store."""
        ...

    def get(self, event_id: str) -> RecordedEvent | None:
        """One event by id."""
        ...

    def read(self, flt: EventFilter) -> list[RecordedEvent]:
        """Events matching `flt`, in position order."""
        ...

    def iter_all(self, after: int = 0) -> Iterator[RecordedEvent]:
        """Every event after a position, as stored (no upcasting), streamed."""
        ...

    def head(self) -> int:
        """The last position (0 for an empty log)."""
        ...

    def verify(self) -> ChainReport:
        """Walk the hash chain."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def stance(self, actor: str, topic: str, as_of: date,
               known_at: datetime | None = None) -> Stance:
        """An actor's stance on a topic as of a date, known at a time (DESIGN §4)."""
        ...

    def stance_pairs(self, actor: str | None = None,
                     topic: str | None = None) -> list[tuple[str, str]]:
        """Every (actor, topic) with a stance event, sorted."""
        ...

    def history(self, actor: str, topic: str, known_at: datetime | None = None) -> list[Change]:
        """Each change of stance of an actor on a topic."""
        ...

    def changed_pairs(self, start: date, end: date, topic: str | None = None,
                      known_at: datetime | None = None) -> list[tuple[str, str]]:
        """A superset of the pairs whose stance differs between two dates."""
        ...

    def claims(self, subject: str | None, as_of: date | None,
               known_at: datetime | None = None) -> list[RecordedEvent]:
        """Claims about a subject (or all) dated on or before a date, in date order."""
        ...

    def actors(self, q: str | None = None) -> list[dict[str, Any]]:
        """The actor directory, filtered by a name or alias."""
        ...

    def actor(self, actor: str) -> dict[str, Any] | None:
        """One registered actor."""
        ...

    def resolve(self, name: str) -> list[str]:
        """The actor ids a name or alias stands for."""
        ...

    def topics(self) -> list[dict[str, Any]]:
        """Every defined topic."""
        ...

    def count(self, flt: EventFilter) -> int:
        """How many events match a filter (its `after` and `limit` ignored)."""
        ...

    def buckets(self, flt: EventFilter) -> list[tuple[str, str, str, int]]:
        """Matching events counted by (lane actor, month of occurred_start, stance or type)."""
        ...
