"""stance_pairs: every (actor, topic) with a stance event, the rows of the stance matrix.

The stances themselves need no table: the as-of index on the log answers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import STANCE
from stanceline.store.dialect import Dialect
from stanceline.store.projections.base import OfType, Projection
from stanceline.store.schema import events, metadata

stance_pairs = sa.Table(
    "stance_pairs",
    metadata,
    sa.Column("topic", sa.String(80), primary_key=True),
    sa.Column("actor", sa.String(80), primary_key=True),
)

WANTS = OfType(frozenset({STANCE}))


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """New pairs; known ones are left alone."""
    pairs = sorted({(str(e.topic), str(e.actor)) for e in new})
    conn.exec_driver_sql(dialect.insert_sql("stance_pairs", ("topic", "actor"),
                                            " ON CONFLICT DO NOTHING"), pairs)


def rebuild(conn: Connection, dialect: Dialect) -> None:
    """One set-based statement instead of a replay of every stance."""
    wanted = sa.select(events.c.topic, events.c.actor).distinct().where(WANTS.clause(dialect))
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
