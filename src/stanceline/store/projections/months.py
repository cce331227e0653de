"""month_counts: how many events each (scope, lane, month, type, kind) holds, kept at append,
so the timeline of a large log reads a few index ranges instead of grouping the whole log.

`scope` is what the page's filters narrow to: "" the whole log, "a:<actor>" the events that
name an actor (as the log's actor filter finds them), "t:<topic>" a topic's. `lane` is the
event's main actor ("" for none), `kind` its stance, else its type. "*" as `lane` or `month`
sums every lane or every dated month; undated events count only under lane "*" and month "".
A retracted or superseded event still counts, as it does in the timeline's GROUP BY.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from stanceline.domain.events import RecordedEvent, event_actors
from stanceline.domain.lanes import OTHERS, BucketRow
from stanceline.domain.projections import STANCE
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
)

WANTS = OfType(frozenset(), negate=True)  # every event
COLUMNS = ("scope", "lane", "month", "type", "kind", "n")


def scopes(event: RecordedEvent) -> list[str]:
    """The scopes an event counts in (the log's actor filter: a stance's own actor, and every
    actor `event_actors` names)."""
    named = [event.actor] if event.type == STANCE and event.actor else []
    found = ["", *(f"a:{a}" for a in dict.fromkeys(named + event_actors(event)))]
    return found + ([f"t:{event.topic}"] if event.topic else [])


def _cells(event: RecordedEvent) -> list[tuple[str, str, str, str, str]]:
    kind = str(event.data.get("stance") or event.type)
    lane = event.actor or ""
    if event.occurred_start is None:
        places = [(ALL, UNDATED)]
    else:
        month = event.occurred_start.strftime("%Y-%m")
        places = [(lane, month), (lane, ALL), (ALL, month), (ALL, ALL)]
    return [(scope, where, when, event.type, kind)
            for scope in scopes(event) for where, when in places]


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """Add each event to its cells, summed over the batch first (one upsert per cell)."""
    added = Counter(cell for event in new for cell in _cells(event))
    keys = ", ".join(COLUMNS[:-1])
    conn.exec_driver_sql(
        dialect.insert_sql("month_counts", COLUMNS,
                           f" ON CONFLICT ({keys}) DO UPDATE SET n = month_counts.n + excluded.n"),
        [(*cell, n) for cell, n in sorted(added.items())])


def fill(conn: Connection, dialect: Dialect) -> None:
    """Count the whole log into the (empty) table in one statement: rebuild and the 0009
    migration."""
    month = sa.func.coalesce(dialect.month(events.c.occurred_start), UNDATED)
    kind, lane = _kind(dialect), _lane()

    def per_event(scope: ColumnElement[str]) -> sa.Select[Any]:
        return sa.select(scope.label("scope"), lane.label("lane"), month.label("month"),
                         events.c.type.label("type"), kind.label("kind"))

    each = sa.union_all(
        per_event(sa.literal("")),
        per_event(sa.literal("a:") + events.c.actor).where(events.c.type == STANCE,
                                                           events.c.actor.is_not(None)),
        per_event(sa.literal("a:") + event_refs.c.actor).select_from(
            events.join(event_refs, event_refs.c.position == events.c.position)),
        per_event(sa.literal("t:") + events.c.topic).where(events.c.topic.is_not(None)),
    ).subquery()
    every = sa.literal_column(f"'{ALL}'", sa.String)
    dated = each.c.month != UNDATED

    def placed(where: Any, when: Any) -> sa.Select[Any]:
        return sa.select(each.c.scope, where, when, each.c.type, each.c.kind)

    cells = sa.union_all(
        placed(each.c.lane, each.c.month).where(dated),
        placed(each.c.lane, every).where(dated),
        placed(every, each.c.month),
        placed(every, every).where(dated),
    ).subquery()
    columns = list(cells.c)
    conn.execute(month_counts.insert().from_select(
        list(COLUMNS), sa.select(*columns, sa.func.count()).group_by(*columns)))


def rebuild(conn: Connection, dialect: Dialect) -> None:
    """One set-based statement (after the replayed projections: it reads event_refs)."""
    fill(conn, dialect)


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


def scope_of(flt: EventFilter, *, cursor: bool = True) -> str | None:
    """The scope answering a filter, or None when the table cannot (a recording time, a
    recorder, dates, a cursor, or an actor and a topic at once): the caller groups the log."""
    if (flt.known_at is not None or flt.recorded_by is not None or flt.occurred_from is not None
            or flt.occurred_to is not None or (cursor and flt.after)
            or (flt.actor is not None and flt.topic is not None)):
        return None
    if flt.actor is not None:
        return f"a:{flt.actor}"
    return "" if flt.topic is None else f"t:{flt.topic}"


def _of(scope: str, type_: str | None) -> list[ColumnElement[bool]]:
    found = [month_counts.c.scope == scope]
    return found if type_ is None else [*found, month_counts.c.type == type_]


def count(conn: Connection, scope: str, type_: str | None) -> int:
    """How many events the scope holds (of a type), dated or not."""
    query = sa.select(sa.func.coalesce(sa.func.sum(month_counts.c.n), 0)).where(
        *_of(scope, type_), month_counts.c.lane == ALL,
        month_counts.c.month.in_([ALL, UNDATED]))
    return int(conn.execute(query).scalar_one())


def lane_totals(conn: Connection, scope: str, type_: str | None) -> dict[str, int]:
    """Each lane's number of dated events in the scope (of a type)."""
    query = (sa.select(month_counts.c.lane, sa.func.sum(month_counts.c.n))
             .where(*_of(scope, type_), month_counts.c.month == ALL, month_counts.c.lane != ALL)
             .group_by(month_counts.c.lane))
    return {str(lane): int(n) for lane, n in conn.execute(query)}


def buckets(conn: Connection, scope: str, type_: str | None,
            kept: Collection[str] | None) -> list[BucketRow]:
    """The scope's dated counts by (lane, month, kind): of every lane, or of the `kept` lanes
    and the rest under OTHERS (every lane's month minus the kept lanes')."""
    month, n = month_counts.c.month, sa.func.sum(month_counts.c.n)
    lane = month_counts.c.lane
    where = [*_of(scope, type_), month.not_in([ALL, UNDATED])]
    picked = lane != ALL if kept is None else lane.in_(sorted(kept))
    query = (sa.select(lane, month, month_counts.c.kind, n).where(*where, picked)
             .group_by(lane, month, month_counts.c.kind))
    found = [(str(a), str(m), str(k), int(c)) for a, m, k, c in conn.execute(query)]
    if kept is None:
        return sorted(found)
    others: Counter[tuple[str, str]] = Counter()
    for _, m, k, c in found:
        others[(m, k)] -= c
    every = sa.select(month, month_counts.c.kind, n).where(*where, lane == ALL).group_by(
        month, month_counts.c.kind)
    for m, k, c in conn.execute(every):
        others[(str(m), str(k))] += int(c)
    found += [(OTHERS, m, k, c) for (m, k), c in others.items() if c]
    return sorted(found)


PROJECTION = Projection("month_counts", (month_counts,), WANTS, apply, rebuild)
