"""stance_pairs: every (actor, topic) with a stance event that still counts (not retracted or
superseded), the rows of the stance matrix: a pair whose every stance is withdrawn leaves no
row.

The stances themselves need no table: the as-of index on the log answers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import STANCE, retraction_target
from stanceline.store.dialect import Dialect
from stanceline.store.projections.base import AnyOf, Carries, OfType, Projection
from stanceline.store.projections.voids import voids
from stanceline.store.schema import IS_STANCE, events, metadata

stance_pairs = sa.Table(
    "stance_pairs",
    metadata,
    sa.Column("topic", sa.String(80), primary_key=True),
    sa.Column("actor", sa.String(80), primary_key=True),
)

WANTS = AnyOf((OfType(frozenset({STANCE, "event.retracted"})), Carries("supersedes")))
_STANCES = OfType(frozenset({STANCE}))


def _not_voided() -> sa.ColumnElement[bool]:
    return ~sa.exists(sa.select(voids.c.target).where(voids.c.target == events.c.id))


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """New pairs are added; a pair whose stances are all withdrawn is removed (the voids
    projection runs first, in the same transaction)."""
    pairs = sorted({(str(e.topic), str(e.actor)) for e in new if e.type == STANCE})
    if pairs:
        dialect.insert_new(conn, stance_pairs, ("topic", "actor"), pairs)
    targets = sorted({aim for e in new if (aim := retraction_target(e)) is not None})
    # The pairs of the voided stances with no stance left that counts, found and removed
    # set-based: a load retracts thousands at once.
    for start in range(0, len(targets), dialect.id_chunk):
        aimed = events.alias("aimed")
        remains = sa.exists(sa.select(events.c.position).where(
            IS_STANCE, events.c.actor == aimed.c.actor, events.c.topic == aimed.c.topic,
            _not_voided()))
        emptied = (sa.select(aimed.c.actor, aimed.c.topic).distinct()
                   .where(aimed.c.id.in_(targets[start:start + dialect.id_chunk]),
                          aimed.c.type == STANCE, ~remains))
        conn.execute(stance_pairs.delete().where(
            sa.tuple_(stance_pairs.c.actor, stance_pairs.c.topic).in_(emptied)))


def rebuild(conn: Connection, dialect: Dialect) -> None:
    """One set-based statement instead of a replay of every stance (it runs after the
    replayed projections, so the voids table is already whole)."""
    wanted = (sa.select(events.c.topic, events.c.actor).distinct()
              .where(_STANCES.clause(dialect), _not_voided()))
    conn.execute(stance_pairs.insert().from_select(["topic", "actor"], wanted))


def query(actor: str | None = None, topic: str | None = None) -> sa.Select[Any]:
    """The pairs, narrowed by actor and topic."""
    found = sa.select(stance_pairs.c.actor, stance_pairs.c.topic)
    if actor is not None:
        found = found.where(stance_pairs.c.actor == actor)
    if topic is not None:
        found = found.where(stance_pairs.c.topic == topic)
    return found


PROJECTION = Projection("stance_pairs", (stance_pairs,), WANTS, apply, rebuild)
