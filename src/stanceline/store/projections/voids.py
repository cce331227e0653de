"""voids: events retracted or superseded, and from which recording time on they stop counting.

"What we knew then" stays answerable: a void only counts for a `known_at` at or after it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.domain.corrections import Target
from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import retraction_target
from stanceline.domain.voids import Void
from stanceline.store.dialect import Dialect
from stanceline.store.projections.base import AnyOf, Carries, OfType, Projection
from stanceline.store.rows import CORE, EVENT_COLUMNS, moment_bound
from stanceline.store.schema import EventId, events, metadata

RETRACTED = "event.retracted"

voids = sa.Table(
    "voids",
    metadata,
    sa.Column("target", EventId, primary_key=True),
    sa.Column("by_id", EventId, nullable=False),
    sa.Column("void_at", sa.DateTime(timezone=True), nullable=False),
)

WANTS = AnyOf((OfType(frozenset({RETRACTED})), Carries("supersedes")))


# The rule lives once, in the domain; the store's void table applies it.
target = retraction_target


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """The first void of a target decides from when it stops counting."""
    rows = [(dialect.bind_id(aim), dialect.bind_id(e.id), dialect.bind_moment(e.recorded_at))
            for e in new if (aim := target(e)) is not None]
    if rows:
        dialect.insert_new(conn, voids, ("target", "by_id", "void_at"), rows)


def counting(known_at: datetime | None) -> sa.Select[Any]:
    """Events known at `known_at` (None: now) and not retracted or superseded by then."""
    moment = moment_bound(known_at)
    voided = sa.select(voids.c.target).where(voids.c.target == events.c.id,
                                             voids.c.void_at <= moment)
    return sa.select(*EVENT_COLUMNS).where(events.c.recorded_at <= moment, ~sa.exists(voided))


def by_targets(targets: Sequence[str], known_at: datetime | None) -> sa.Select[Any]:
    """The voids of `targets` recorded by `known_at`, with the type of the voiding event."""
    return (sa.select(voids.c.target, voids.c.by_id, voids.c.void_at, events.c.type)
            .join(events, events.c.id == voids.c.by_id)
            .where(voids.c.target.in_(targets), voids.c.void_at <= moment_bound(known_at)))


PROJECTION = Projection("voids", (voids,), WANTS, apply)


def targets(conn: Connection, ids: Collection[str]) -> dict[str, Target]:
    """What the log holds for each of `ids` that a batch voids: its type and stream, and the
    event already voiding it (the first void) with that event's type; absent ids are left
    out. One statement per chunk of ids, inside the append's transaction."""
    found: dict[str, Target] = {}
    wanted = sorted(ids)
    voider = events.alias("voider")
    for start in range(0, len(wanted), 500):
        query = (sa.select(events.c.id, events.c.type, events.c.stream, voids.c.by_id,
                           voider.c.type.label("by_type"))
                 .outerjoin(voids, voids.c.target == events.c.id)
                 .outerjoin(voider, voider.c.id == voids.c.by_id)
                 .where(events.c.id.in_(wanted[start:start + 500])))
        for row in conn.execute(query):
            found[str(row.id)] = Target(str(row.id), row.type, row.stream,
                                        None if row.by_id is None else str(row.by_id),
                                        row.by_type)
    return found


def read(conn: Connection, dialect: Dialect, ids: Collection[str],
         known_at: datetime | None) -> dict[str, Void]:
    """The first void of each id recorded by `known_at`, with its event's type (a retraction
    or a correction), one statement per chunk of ids."""
    wanted = sorted(set(ids))
    found: dict[str, Void] = {}
    for start in range(0, len(wanted), dialect.id_chunk):
        for row in conn.execute(by_targets(wanted[start:start + dialect.id_chunk], known_at)):
            aim = str(row.target)
            found[aim] = Void(aim, str(row.by_id), row.type == RETRACTED,
                              CORE.read_moment(row.void_at))
    return found
