"""The EventStore protocol that every store (in-memory, SQLite, PostgreSQL) keeps."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from stanceline.domain.append import Appended
from stanceline.domain.chain import ChainReport
from stanceline.domain.events import PreparedEvent, RecordedEvent


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
