"""The stance reads, straight on the log: the as-of index answers them, no projection table.

`AS_OF` is the hot statement (raw SQL, sent to the driver by the store's HotReads); history and
changed pairs are Core queries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import STANCE, Stance, decide, split_counting
from stanceline.domain.runs import streak_start
from stanceline.store.projections import voids
from stanceline.store.projections.event_refs import event_refs
from stanceline.store.rows import EVENT_COLUMNS, moment_bound
from stanceline.store.schema import events

_COLUMNS = ", ".join(f"e.{c.name}" for c in EVENT_COLUMNS)
_OUTER = ", ".join(c.name for c in EVENT_COLUMNS)
_COUNTING = (f"e.type = '{STANCE}' AND e.actor = :actor AND e.topic = :topic "
             "AND e.recorded_at <= :k AND NOT EXISTS "
             "(SELECT 1 FROM voids x WHERE x.target = e.id AND x.void_at <= :k)")
# Three indexed ranges of one pair: the newest :n stances that have ended by :v (newest first:
# enough to find where the latest streak of one stance begins), those still in progress at :v
# (:window = :v less the longest span), and those with an open start (rare; all of them).
AS_OF = (f"SELECT {_OUTER} FROM (SELECT {_COLUMNS} FROM events e WHERE {_COUNTING} "
         "AND e.occurred_start <= :v AND e.occurred_end <= :v "
         "ORDER BY e.occurred_start DESC, e.position DESC LIMIT :n) d "
         f"UNION ALL SELECT {_COLUMNS} FROM events e WHERE {_COUNTING} "
         "AND e.occurred_start > :window AND e.occurred_start <= :v AND e.occurred_end > :v "
         f"UNION ALL SELECT {_COLUMNS} FROM events e WHERE {_COUNTING} "
         "AND e.occurred_start IS NULL AND e.occurred_end IS NOT NULL")


def latest(fetch: Callable[[int], list[RecordedEvent]], actor: str, topic: str,
           as_of: date) -> Stance:
    """The answer from AS_OF's rows, read back only as far as the latest streak of one stance
    reaches (`fetch(n)` runs it with LIMIT n): a run never spans a change of stance."""
    reach = 2
    while True:
        ended: list[RecordedEvent] = []
        others: list[RecordedEvent] = []
        for event in fetch(reach):
            done = event.occurred_start is not None and event.occurred_end is not None \
                and event.occurred_end <= as_of
            (ended if done else others).append(event)
        if len(ended) < reach or streak_start(ended) is not None:
            break
        reach *= 8
    # Open starts order before every dated stance, so they come last, newest first.
    certain, maybes = split_counting(others, as_of)
    newest_first = ended + certain[::-1]
    start = streak_start(newest_first)
    streak = newest_first if start is None else newest_first[:start]
    return decide(actor, topic, streak[::-1], maybes)


def voiced_pairs(speaker: str, topic: str | None) -> sa.Select[Any]:
    """The (actor, topic) pairs a person voiced a stance for: event_refs holds a stance's
    speaker, so this is an index probe on the person, not a scan of the log."""
    found = (sa.select(events.c.actor, events.c.topic).distinct()
             .join(event_refs, event_refs.c.position == events.c.position)
             .where(event_refs.c.actor == speaker, events.c.type == STANCE))
    if topic is not None:
        found = found.where(events.c.topic == topic)
    return found


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
             .where(events.c.type == STANCE,
                    sa.or_(events.c.occurred_start <= end, events.c.occurred_start.is_(None)),
                    events.c.occurred_end > start,
                    events.c.recorded_at <= moment_bound(known_at)))
    if topic is not None:
        found = found.where(events.c.topic == topic)
    return found
