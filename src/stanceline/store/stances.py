"""The stance reads, straight on the log: the as-of index answers them, no projection table.

`AS_OF` is the hot statement (raw SQL, sent to the driver by the store's HotReads); history and
changed pairs are Core queries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from stanceline.domain.projections import STANCE
from stanceline.store.projections import voids
from stanceline.store.rows import EVENT_COLUMNS, moment_bound
from stanceline.store.schema import events

_COLUMNS = ", ".join(f"e.{c.name}" for c in EVENT_COLUMNS)
_OUTER = ", ".join(c.name for c in EVENT_COLUMNS)
_COUNTING = (f"e.type = '{STANCE}' AND e.actor = :actor AND e.topic = :topic "
             "AND e.occurred_start <= :v AND e.recorded_at <= :k AND NOT EXISTS "
             "(SELECT 1 FROM voids x WHERE x.target = e.id AND x.void_at <= :k)")
# One indexed probe for the deciding stance (the latest that has ended by :v), and one short
# range (:window = :v less the longest span) for those still in progress at :v.
AS_OF = (f"SELECT {_OUTER} FROM (SELECT {_COLUMNS} FROM events e WHERE {_COUNTING} "
         "AND e.occurred_end <= :v ORDER BY e.occurred_start DESC, e.position DESC LIMIT 1) d "
         f"UNION ALL SELECT {_COLUMNS} FROM events e WHERE {_COUNTING} "
         "AND e.occurred_start > :window AND e.occurred_end > :v")


def history(actor: str, topic: str, known_at: datetime | None) -> sa.Select[Any]:
    """The counting stance events of a pair, in date order."""
    return (voids.counting(known_at)
            .where(events.c.type == STANCE, events.c.actor == actor, events.c.topic == topic)
            .order_by(events.c.occurred_start, events.c.position))


def changed_pairs(start: date, end: date, topic: str | None,
                  known_at: datetime | None) -> sa.Select[Any]:
    """Pairs with a stance event that does not count with certainty at `start` but may at
    `end`: a superset of those whose stance differs."""
    found = (sa.select(events.c.actor, events.c.topic).distinct()
             .where(events.c.type == STANCE, events.c.occurred_start <= end,
                    events.c.occurred_end > start,
                    events.c.recorded_at <= moment_bound(known_at)))
    if topic is not None:
        found = found.where(events.c.topic == topic)
    return found
