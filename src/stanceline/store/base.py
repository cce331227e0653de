"""The store protocols every store (in-memory, SQLite, PostgreSQL) keeps, split by capability.

`EventLog` is the log itself; each family of projections has its own small read protocol; and
`EventStore` is all of them, which is what the service is written against. A caller that only
needs one capability can ask for just that protocol.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from stanceline.domain.append import Appended
from stanceline.domain.chain import ChainReport
from stanceline.domain.checkpoint import Checkpoint, Signer
from stanceline.domain.directory import ActorEntry, DocumentEntry, TopicEntry
from stanceline.domain.events import PreparedEvent, RecordedEvent
from stanceline.domain.projections import Change, Stance
from stanceline.domain.voids import Void


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What `read` selects: every field narrows; `after` is a position cursor."""

    actor: str | None = None
    topic: str | None = None
    type: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    known_at: datetime | None = None
    recorded_by: str | None = None
    after: int = 0
    limit: int = 100


@dataclass(frozen=True, slots=True)
class Head:
    """The log's last event: its position and hash (0 and the genesis hash when empty), and
    when it was recorded (None when empty). What a cache validator is made of."""

    position: int
    hash: str
    recorded_at: datetime | None


class EventLog(Protocol):
    """The append-only, hash-chained log: writes, reads of events, the chain, its lifecycle."""

    def append(
        self, batch: Sequence[PreparedEvent], expect: Mapping[str, int] | None = None
    ) -> list[Appended]:
        """Append atomically; replayed ids answer their original result."""
        ...

    def import_events(self, recorded: Iterable[RecordedEvent]) -> int:
        """Restore an exported log, row for row, into an empty store."""
        ...

    def rebuild(self) -> int:
        """Recompute every projection from the log; the number of events."""
        ...

    def guard_bypass(self) -> str | None:
        """How the store's database role could switch the append-only guards off, or None."""
        ...

    def grant_app(self, role: str) -> list[str]:
        """Grant a database role what serving needs and no more; the statements run."""
        ...

    def get(self, event_id: str) -> RecordedEvent | None:
        """One event by id (upcast to its current schema version)."""
        ...

    def read(self, flt: EventFilter) -> list[RecordedEvent]:
        """Events matching `flt`, in position order (upcast)."""
        ...

    def count(self, flt: EventFilter) -> int:
        """How many events match a filter (its `after` and `limit` ignored)."""
        ...

    def iter_all(self, after: int = 0) -> Iterator[RecordedEvent]:
        """Every event after a position, as stored (no upcasting), streamed."""
        ...

    def voids(self, ids: Collection[str], known_at: datetime | None = None
              ) -> dict[str, Void]:
        """Which of `ids` were retracted or superseded as known at `known_at` (None: now),
        by which event and from when; one set-wise read, whatever the number of ids."""
        ...

    def head(self) -> int:
        """The last position (0 for an empty log)."""
        ...

    def head_mark(self) -> Head:
        """The last event's position, hash and recording time: one cheap indexed read."""
        ...

    def verify(self, deep: bool = False) -> ChainReport:
        """Walk the hash chain and check every column the queries read against what it
        covers; `deep`: also compare every stored projection with what the log gives."""
        ...

    def checkpoint(self, signer: Signer) -> Checkpoint:
        """The signer's newest checkpoint of the head, signed (and kept) now if the newest
        is behind the head; every later append is recorded after its `signed_at`."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class StanceReads(Protocol):
    """Stances as of a date (DESIGN §4), their history and the pairs that have them."""

    def stance(self, actor: str, topic: str, as_of: date, known_at: datetime | None = None,
               *, speaker: str | None = None, reported: date | None = None) -> Stance:
        """An actor's stance on a topic as of a date, known at a time; only what `speaker`
        voiced, only what had been published by `reported`, when given."""
        ...

    def matrix(self, as_of: date, known_at: datetime | None = None, *,
               actor: str | None = None, topic: str | None = None) -> list[Stance]:
        """The stance of every pair of `stance_pairs(actor, topic)`, in its order, each equal
        to `stance(actor, topic, as_of, known_at)`: one set-based read, not a probe per pair."""
        ...

    def voiced_pairs(self, speaker: str, topic: str | None = None) -> list[tuple[str, str]]:
        """The (actor, topic) pairs a person voiced a stance for, and their own, sorted."""
        ...

    def stance_pairs(self, actor: str | None = None,
                     topic: str | None = None) -> list[tuple[str, str]]:
        """Every (actor, topic) with a stance event, sorted."""
        ...

    def history(self, actor: str, topic: str, known_at: datetime | None = None, *,
                speaker: str | None = None) -> list[Change]:
        """Each change of stance of an actor on a topic (only what `speaker` voiced)."""
        ...

    def changed_pairs(self, start: date, end: date, topic: str | None = None,
                      known_at: datetime | None = None) -> list[tuple[str, str]]:
        """A superset of the pairs whose stance differs between two dates."""
        ...


class ClaimReads(Protocol):
    """The numbers claimed."""

    def claims(self, subject: str | None, as_of: date | None,
               known_at: datetime | None = None) -> list[RecordedEvent]:
        """Claims about a subject (or all) that count or may count at a date, in date order."""
        ...


class DirectoryReads(Protocol):
    """Registered actors (with their aliases) and defined topics."""

    def actors(self, q: str | None = None) -> list[ActorEntry]:
        """The actor directory by kind and name, filtered by a name or alias."""
        ...

    def actor(self, actor: str) -> ActorEntry | None:
        """One registered actor."""
        ...

    def actor_kind(self, actor: str) -> str | None:
        """An actor's kind (country, person, ...), or None if it is not registered: one cheap
        probe, asked on the hot as-of path."""
        ...

    def resolve(self, name: str) -> list[str]:
        """The actor ids a name or alias stands for."""
        ...

    def topics(self) -> list[TopicEntry]:
        """Every defined topic, in order of first definition."""
        ...


class DocumentReads(Protocol):
    """Registered source documents and the events citing them."""

    def documents(self, publisher: str | None = None, first: date | None = None,
                  last: date | None = None) -> list[DocumentEntry]:
        """Documents in order of registration; `first`/`last` bound the publication date."""
        ...

    def document(self, document: str) -> tuple[DocumentEntry, str] | None:
        """One document and its text."""
        ...

    def citing(self, document: str, limit: int = 1_000) -> list[RecordedEvent]:
        """The events citing a document, in log order."""
        ...

    def document_texts(self, ids: Collection[str] | None = None) -> dict[str, str]:
        """The texts of the registered documents among `ids` (None: all)."""
        ...


class TimelineReads(Protocol):
    """What the timeline draws when the matching events are too many to list."""

    def lane_totals(self, flt: EventFilter) -> dict[str, int]:
        """Matching dated events counted by lane actor ("" for none)."""
        ...

    def buckets(self, flt: EventFilter, kept: Collection[str] | None = None
                ) -> list[tuple[str, str, str, int]]:
        """Matching dated events counted by (lane actor, month of occurred_start, stance or
        type); with `kept`, only those lanes keep their rows, the others' summed under "*"."""
        ...


class EventStore(EventLog, StanceReads, ClaimReads, DirectoryReads, DocumentReads,
                 TimelineReads, Protocol):
    """An append-only, hash-chained event log with its projections: every capability."""
