"""month_counts and lane_counts: how many events each (scope, lane, month, type, kind) holds,
and each (scope, lane, type, kind), kept at append, so the timeline of a large log reads a
few index ranges instead of grouping the whole log.

`scope` is what the page's filters narrow to: "" the whole log, "t:<topic>" a topic's, and
"n:<actor>" the events that name an actor on another actor's lane (a meeting's participant,
a speaker): an actor's events, as the log's actor filter finds them, are its own lane in ""
and its "n:" scope. `lane` is the event's main actor ("" for none), `kind` its stance, else
its type. In month_counts, lane "*" sums every lane, month "*" every dated month and month ""
holds the undated events; lane_counts holds each lane's dated events (the busiest lanes are
chosen by it). A retracted or superseded event still counts, as in the timeline's GROUP BY.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from stanceline.domain.events import RecordedEvent, event_actors
from stanceline.domain.lanes import OTHERS, BucketRow, fold
from stanceline.store.base import EventFilter
from stanceline.store.dialect import Dialect
from stanceline.store.projections.base import OfType, Projection
from stanceline.store.projections.event_refs import event_refs
from stanceline.store.schema import events, metadata

ALL = "*"
UNDATED = ""

month_counts = sa.Table(
    "month_counts",
    metadata,
    sa.Column("scope", sa.String(90), primary_key=True),
    sa.Column("lane", sa.String(80), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("type", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    # On SQLite the primary key is then the table itself: an upsert writes one b-tree, not two.
    sqlite_with_rowid=False,
)
lane_counts = sa.Table(
    "lane_counts",
    metadata,
    sa.Column("scope", sa.String(90), primary_key=True),
    sa.Column("lane", sa.String(80), primary_key=True),
    sa.Column("type", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

WANTS = OfType(frozenset(), negate=True)  # every event
MONTH_KEY = ("scope", "lane", "month", "type", "kind")
LANE_KEY = ("scope", "lane", "type", "kind")


def scopes(event: RecordedEvent) -> list[str]:
    """The scopes an event counts in: the whole log, its topic's, and one for each actor it
    names besides its lane's (`event_actors` names the others)."""
    lane = event.actor or ""
    found = ["", *(f"n:{a}" for a in event_actors(event) if a != lane)]
    return found + ([f"t:{event.topic}"] if event.topic else [])


def _cells(event: RecordedEvent) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The month_counts and lane_counts cells an event adds one to."""
    kind = str(event.data.get("stance") or event.type)
    lane = event.actor or ""
    found = scopes(event)
    if event.occurred_start is None:
        return [(scope, where, UNDATED, event.type, kind) for scope in found
                for where in (lane, ALL)], []
    month = event.occurred_start.strftime("%Y-%m")
    return ([(scope, where, when, event.type, kind) for scope in found
             for where, when in ((lane, month), (ALL, month), (ALL, ALL))],
            [(scope, lane, event.type, kind) for scope in found])


def _upsert(conn: Connection, dialect: Dialect, table: str, key: Sequence[str],
            added: Counter[tuple[str, ...]]) -> None:
    if added:
        dialect.write_many(
            conn, dialect.insert_sql(table, (*key, "n"), f" ON CONFLICT ({', '.join(key)}) "
                                     f"DO UPDATE SET n = {table}.n + excluded.n"),
            [(*cell, n) for cell, n in sorted(added.items())])


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """Add each event to its cells, summed over the batch first (one upsert per cell)."""
    months: Counter[tuple[str, ...]] = Counter()
    lanes: Counter[tuple[str, ...]] = Counter()
    for event in new:
        in_months, in_lanes = _cells(event)
        months.update(in_months)
        lanes.update(in_lanes)
    _upsert(conn, dialect, "month_counts", MONTH_KEY, months)
    _upsert(conn, dialect, "lane_counts", LANE_KEY, lanes)


def fill(conn: Connection, dialect: Dialect) -> None:
    """Count the whole log into the (empty) table in one statement: the rebuild (run after
    the replayed projections, so event_refs is whole) and the 0009 migration."""
    month = sa.func.coalesce(dialect.month(events.c.occurred_start), UNDATED)
    kind, lane = _kind(dialect), _lane()

    def per_event(scope: ColumnElement[str]) -> sa.Select[Any]:
        return sa.select(scope.label("scope"), lane.label("lane"), month.label("month"),
                         events.c.type.label("type"), kind.label("kind"))

    each = sa.union_all(
        per_event(sa.literal("")),
        per_event(sa.literal("n:") + event_refs.c.actor).select_from(
            events.join(event_refs, event_refs.c.position == events.c.position)).where(
            event_refs.c.actor != lane),
        per_event(sa.literal("t:") + events.c.topic).where(events.c.topic.is_not(None)),
    ).subquery()
    every = sa.literal_column(f"'{ALL}'", sa.String)
    dated = each.c.month != UNDATED

    def placed(where: Any, when: Any) -> sa.Select[Any]:
        return sa.select(each.c.scope, where, when, each.c.type, each.c.kind)

    cells = sa.union_all(
        placed(each.c.lane, each.c.month),
        placed(every, each.c.month),
        placed(every, every).where(dated),
    ).subquery()
    columns = list(cells.c)
    conn.execute(month_counts.insert().from_select(
        [*MONTH_KEY, "n"], sa.select(*columns, sa.func.count()).group_by(*columns)))
    keys = [each.c.scope, each.c.lane, each.c.type, each.c.kind]
    conn.execute(lane_counts.insert().from_select(
        [*LANE_KEY, "n"], sa.select(*keys, sa.func.count()).where(dated).group_by(*keys)))


def grouped(conn: Connection, dialect: Dialect, where: Sequence[ColumnElement[bool]]
            ) -> list[BucketRow]:
    """The log's dated events matching `where` grouped by (lane, month, kind): for the
    filters the table cannot answer."""
    keys = (_lane(), dialect.month(events.c.occurred_start), _kind(dialect))
    query = (sa.select(*keys, sa.func.count())
             .where(*where, events.c.occurred_start.is_not(None)).group_by(*keys))
    return [(str(a), str(m), str(k), int(n)) for a, m, k, n in conn.execute(query)]


def _kind(dialect: Dialect) -> ColumnElement[str]:
    return sa.func.coalesce(dialect.json_text(events.c.data, "stance"), events.c.type)


def _lane() -> ColumnElement[str]:
    return sa.func.coalesce(events.c.actor, "")


def answers(flt: EventFilter, *, cursor: bool = True) -> bool:
    """Whether the tables answer a filter: not for a recording time, a recorder, dates, a
    cursor, or an actor and a topic at once (the caller then groups the log)."""
    return not (flt.known_at is not None or flt.recorded_by is not None
                or flt.occurred_from is not None or flt.occurred_to is not None
                or (cursor and flt.after) or (flt.actor is not None and flt.topic is not None))


def _of(table: sa.Table, flt: EventFilter) -> list[ColumnElement[bool]]:
    """The rows of a filter's events: an actor's lane and its "n:" scope, or one scope."""
    if flt.actor is not None:
        found = [sa.or_(sa.and_(table.c.scope == "", table.c.lane == flt.actor),
                        table.c.scope == f"n:{flt.actor}")]
    else:
        found = [table.c.scope == ("" if flt.topic is None else f"t:{flt.topic}")]
    return found if flt.type is None else [*found, table.c.type == flt.type]


def _total(conn: Connection, query: sa.Select[Any]) -> int:
    return int(conn.execute(query).scalar_one() or 0)


def count(conn: Connection, flt: EventFilter) -> int:
    """How many events match, dated or not."""
    n = sa.func.sum(month_counts.c.n)
    if flt.actor is None:
        return _total(conn, sa.select(n).where(*_of(month_counts, flt), month_counts.c.lane == ALL,
                                               month_counts.c.month.in_([ALL, UNDATED])))
    undated = sa.select(n).where(*_of(month_counts, flt), month_counts.c.lane != ALL,
                                 month_counts.c.month == UNDATED)
    return _total(conn, undated) + sum(lane_totals(conn, flt).values())


def lane_totals(conn: Connection, flt: EventFilter) -> dict[str, int]:
    """Each lane's number of dated matching events."""
    query = (sa.select(lane_counts.c.lane, sa.func.sum(lane_counts.c.n))
             .where(*_of(lane_counts, flt)).group_by(lane_counts.c.lane))
    return {str(lane): int(n) for lane, n in conn.execute(query)}


def buckets(conn: Connection, flt: EventFilter, kept: Collection[str] | None
            ) -> list[BucketRow]:
    """The dated matching events by (lane, month, kind): of every lane, or of the `kept`
    lanes and the rest under OTHERS (every lane's month minus the kept lanes'; an actor's
    few lanes are folded as they are read)."""
    month, n = month_counts.c.month, sa.func.sum(month_counts.c.n)
    lane = month_counts.c.lane
    where = [*_of(month_counts, flt), month.not_in([ALL, UNDATED])]
    picked = lane != ALL if kept is None or flt.actor is not None else lane.in_(sorted(kept))
    query = (sa.select(lane, month, month_counts.c.kind, n).where(*where, picked)
             .group_by(lane, month, month_counts.c.kind))
    found = [(str(a), str(m), str(k), int(c)) for a, m, k, c in conn.execute(query)]
    if kept is None or flt.actor is not None:
        return fold(found, kept)
    others: Counter[tuple[str, str]] = Counter()
    for _, m, k, c in found:
        others[(m, k)] -= c
    every = sa.select(month, month_counts.c.kind, n).where(*where, lane == ALL).group_by(
        month, month_counts.c.kind)
    for m, k, c in conn.execute(every):
        others[(str(m), str(k))] += int(c)
    found += [(OTHERS, m, k, c) for (m, k), c in others.items() if c]
    return sorted(found)


PROJECTION = Projection("month_counts", (month_counts, lane_counts), WANTS, apply, fill)
