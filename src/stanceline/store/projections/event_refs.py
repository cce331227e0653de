"""event_refs: every actor an event names, except the main actor of a stance.

The as-of index already finds a stance by its actor; every other mention (a stance's speaker,
a meeting's participants, a group's members, ...) is a row here, so the log's actor filter reads
this table and that index, and the log needs no actor index of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.domain.events import RecordedEvent, event_actors
from stanceline.domain.projections import STANCE
from stanceline.store.dialect import Dialect
from stanceline.store.projections.base import AnyOf, Names, OfType, Projection
from stanceline.store.schema import metadata

event_refs = sa.Table(
    "event_refs",
    metadata,
    sa.Column("actor", sa.String(80), primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True),
)

# What `event_actors` can name something for: any event but a stance, and a stance with a
# speaker (who may be its own actor: `apply` then writes nothing).
WANTS = AnyOf((OfType(frozenset({STANCE}), negate=True), Names("speaker")))


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """One row per (actor named, event)."""
    rows = [(actor, event.position) for event in new for actor in event_actors(event)]
    if rows:
        dialect.insert(conn, "event_refs", ("actor", "position"), rows)


def naming(actor: str) -> sa.Select[Any]:
    """The positions of the events that name `actor` (besides stances by it)."""
    return sa.select(event_refs.c.position).where(event_refs.c.actor == actor)


PROJECTION = Projection("event_refs", (event_refs,), WANTS, apply)
