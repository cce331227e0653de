"""What a table-backed projection declares: the events it wants, how it applies them, and
(optionally) a set-based rebuild. Each projection is one module next to this one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from stanceline.domain.events import RecordedEvent
from stanceline.store.dialect import Dialect
from stanceline.store.schema import events


class Wants(Protocol):
    """Which events a projection reads: one declaration, tested on each event by append and
    compiled to SQL for rebuild's scan, so the two cannot drift apart."""

    def __call__(self, event: RecordedEvent) -> bool:
        """Whether the projection reads this event."""
        ...

    def select(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The events of a batch it reads, in order: one pass, not a call per event."""
        ...

    def clause(self, dialect: Dialect) -> ColumnElement[bool]:
        """The same test as a WHERE clause over the log's columns."""
        ...


@dataclass(frozen=True, slots=True)
class OfType:
    """Events of these types (or, with `negate`, of every other type)."""

    types: frozenset[str]
    negate: bool = False

    def __call__(self, event: RecordedEvent) -> bool:
        """`type IN types`, or NOT IN."""
        return (event.type in self.types) != self.negate

    def select(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The events of these types (or of the others)."""
        types = self.types
        if self.negate:
            return [e for e in events if e.type not in types]
        return [e for e in events if e.type in types]

    def clause(self, dialect: Dialect) -> ColumnElement[bool]:
        """The same, in SQL."""
        listed = events.c.type.in_(sorted(self.types))
        return ~listed if self.negate else listed


@dataclass(frozen=True, slots=True)
class Carries:
    """Events whose envelope column `column` is set (e.g. `supersedes`)."""

    column: str

    def __call__(self, event: RecordedEvent) -> bool:
        """The attribute of the same name is not None."""
        return getattr(event, self.column) is not None

    def select(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The events with the column set."""
        column = self.column
        return [e for e in events if getattr(e, column) is not None]

    def clause(self, dialect: Dialect) -> ColumnElement[bool]:
        """The column IS NOT NULL."""
        return events.c[self.column].is_not(None)


@dataclass(frozen=True, slots=True)
class Names:
    """Events whose payload has `key` set to something other than null (e.g. `speaker`)."""

    key: str

    def __call__(self, event: RecordedEvent) -> bool:
        """`data[key]` is present and not None."""
        return event.data.get(self.key) is not None

    def select(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The events whose payload has the key set."""
        key = self.key
        return [e for e in events if e.data.get(key) is not None]

    def clause(self, dialect: Dialect) -> ColumnElement[bool]:
        """The engine's JSON extraction of the key IS NOT NULL."""
        return dialect.json_text(events.c.data, self.key).is_not(None)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Events that any of the rules wants."""

    rules: tuple[Wants, ...]

    def __call__(self, event: RecordedEvent) -> bool:
        """One rule suffices."""
        for rule in self.rules:  # noqa: SIM110 - a plain loop: this runs per appended event
            if rule(event):
                return True
        return False

    def select(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The events any rule selects, in the batch's order (positions are unique in it)."""
        chosen: set[int] = set()
        for rule in self.rules:
            chosen.update(e.position for e in rule.select(events))
        return [e for e in events if e.position in chosen]

    def clause(self, dialect: Dialect) -> ColumnElement[bool]:
        """OR of the rules' clauses."""
        return sa.or_(*(rule.clause(dialect) for rule in self.rules))


Apply = Callable[[Connection, Dialect, Sequence[RecordedEvent]], None]
Rebuild = Callable[[Connection, Dialect], None]


@dataclass(frozen=True, slots=True)
class Projection:
    """One table-backed projection, as the store's append, import and rebuild see it.

    `apply` gets only the events `wants` accepts, in position order, inside the append's
    transaction. `rebuild`, when given, refills the tables from the log in one set-based
    statement, after every replayed projection (so it may read their tables); without it,
    rebuild replays the wanted events through `apply`. The
    projection's queries are plain functions of its module.
    """

    name: str
    tables: tuple[sa.Table, ...]
    wants: Wants
    apply: Apply
    rebuild: Rebuild | None = None
