"""The stance reads, straight on the log: the as-of index answers them, no projection table.

`AS_OF` is the hot statement (raw SQL, sent to the driver by the store's HotReads); history and
changed pairs are Core queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import (
    LONGEST_SPAN,
    STANCE,
    Stance,
    from_latest,
    has_ended,
)
from stanceline.domain.runs import order_key, streak_start
from stanceline.store.dialect import Dialect
from stanceline.store.projections import voids
from stanceline.store.projections.event_refs import event_refs
from stanceline.store.rows import EVENT_COLUMNS, moment_bound
from stanceline.store.schema import events

_COLUMNS = ", ".join(f"e.{c.name}" for c in EVENT_COLUMNS)
_OUTER = ", ".join(c.name for c in EVENT_COLUMNS)
_LATERAL = ", ".join(f"d.{c.name}" for c in EVENT_COLUMNS)


def _counting(actor: str, topic: str) -> str:
    """Stance events of the pair (`actor`, `topic`: SQL) known at :k and not voided by then."""
    return (f"e.type = '{STANCE}' AND e.actor = {actor} AND e.topic = {topic} "
            "AND e.recorded_at <= :k AND NOT EXISTS "
            "(SELECT 1 FROM voids x WHERE x.target = e.id AND x.void_at <= :k)")


_COUNTING = _counting(":actor", ":topic")
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


# How many ended stances the matrix reads per pair: a pair whose newest MATRIX_REACH all hold
# one stance may have a longer streak, and is read again by its own probe (`latest`).
MATRIX_REACH = 3


def matrix(*, actor: bool, topic: bool, lateral: bool) -> str:
    """The stance matrix's one statement: AS_OF's three ranges for every pair in stance_pairs
    (narrowed by `:actor` and/or `:topic`) at once, the newest :n ended stances of each read
    by an index probe per pair inside the statement: a LATERAL join where the engine has one
    (PostgreSQL plans the IN form below as a scan), else `position IN (... LIMIT :n)`."""
    narrow = " AND ".join(["1 = 1"] + (["p.actor = :actor"] if actor else [])
                          + (["p.topic = :topic"] if topic else []))
    pairs = "stance_pairs p JOIN events e ON e.actor = p.actor AND e.topic = p.topic"
    counting = f"{narrow} AND {_counting('p.actor', 'p.topic')}"
    newest = (f"SELECT e.position FROM events e WHERE {_counting('p.actor', 'p.topic')} "
              "AND e.occurred_start <= :v AND e.occurred_end <= :v "
              "ORDER BY e.occurred_start DESC, e.position DESC LIMIT :n")
    ended = (f"SELECT {_COLUMNS} FROM stance_pairs p JOIN events e ON e.position IN ({newest}) "
             f"WHERE {narrow} ")
    if lateral:
        probe = newest.replace("SELECT e.position FROM", f"SELECT {_COLUMNS} FROM", 1)
        ended = (f"SELECT {_LATERAL} FROM stance_pairs p CROSS JOIN LATERAL ({probe}) d "
                 f"WHERE {narrow} ")
    return (f"{ended}"
            f"UNION ALL SELECT {_COLUMNS} FROM {pairs} WHERE {counting} "
            "AND e.occurred_start > :window AND e.occurred_start <= :v AND e.occurred_end > :v "
            f"UNION ALL SELECT {_COLUMNS} FROM {pairs} WHERE {counting} "
            "AND e.occurred_start IS NULL AND e.occurred_end IS NOT NULL")


def params(dialect: Dialect, actor: str | None, topic: str | None, as_of: date,
           known_at: datetime | None) -> dict[str, Any]:
    """The parameters of AS_OF and of the matrix (`:n` aside), bound as the driver takes them."""
    day = dialect.bind_day
    return {"actor": actor, "topic": topic, "v": day(as_of),
            "window": day(as_of - LONGEST_SPAN), "k": dialect.bind_moment(known_at)}


def matrix_statements(named: Callable[[str], str], lateral: bool
                      ) -> dict[tuple[bool, bool], str]:
    """The four forms of `matrix` (narrowed by actor? by topic?), in the driver's style."""
    return {(a, t): named(matrix(actor=a, topic=t, lateral=lateral))
            for a in (False, True) for t in (False, True)}


def by_pair(rows: Iterable[RecordedEvent], pairs: Sequence[tuple[str, str]], as_of: date,
            probe: Callable[[str, str], Stance]) -> list[Stance]:
    """The matrix's answer from its statement's rows: each pair decided by the pure fold, or
    by its own `probe` when its latest streak may reach past the MATRIX_REACH rows read."""
    found: dict[tuple[str, str], list[RecordedEvent]] = {}
    for event in rows:
        found.setdefault((str(event.actor), str(event.topic)), []).append(event)
    answers: list[Stance] = []
    for actor, topic in pairs:
        events = found.get((actor, topic), [])
        ended = sorted((e for e in events if has_ended(e, as_of)), key=order_key, reverse=True)
        if len(ended) >= MATRIX_REACH and streak_start(ended) is None:
            answers.append(probe(actor, topic))
        else:
            answers.append(from_latest(events, actor, topic, as_of))
    return answers


# The log's head for the read validators (api/caching.py): one step down the primary key.
HEAD = "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1"


# How many ended stances the first read takes: on the bench's log, 2 needed a second round
# trip for 15% of the questions, 4 for under 1% (the second is the p99 of the as-of path).
FIRST_REACH = 4


def latest(fetch: Callable[[int], list[RecordedEvent]], actor: str, topic: str,
           as_of: date) -> Stance:
    """The answer from AS_OF's rows, read back only as far as the latest streak of one stance
    reaches (`fetch(n)` runs it with LIMIT n): a run never spans a change of stance."""
    reach = FIRST_REACH
    while True:
        rows = fetch(reach)
        ended = [e for e in rows if has_ended(e, as_of)]
        if len(ended) < reach or streak_start(ended) is not None:
            break
        reach *= 8
    return from_latest(rows, actor, topic, as_of)


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
