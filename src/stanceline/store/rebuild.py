"""Recomputing every projection table from the log, on a connection the caller holds.

`SqlEventStore.rebuild` runs it in a write transaction and commits; `verify --deep` runs it into
temporary tables in a snapshot it rolls back, to compare what the log gives with what the
tables hold (store/verify.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.store.appending import project
from stanceline.store.dialect import Dialect
from stanceline.store.projections import PROJECTIONS
from stanceline.store.rows import EVENT_COLUMNS, row_to_event
from stanceline.store.schema import events

_PAGE = 10_000


def rebuild_projections(conn: Connection, dialect: Dialect) -> None:
    """Empty and refill every table in PROJECTIONS: set-based where a projection has its own
    rebuild, else one paged scan of the events the others want, through their `apply`. The
    caller holds the log's write lock (`rebuild`), or reads one snapshot and writes only
    temporary tables of the same names (`verify --deep`)."""
    for projection in PROJECTIONS:
        for table in projection.tables:
            conn.execute(table.delete())
    replayed = [p for p in PROJECTIONS if p.rebuild is None]
    needed = sa.or_(*(p.wants.clause(dialect) for p in replayed))
    after = 0
    while replayed:
        rows = conn.execute(sa.select(*EVENT_COLUMNS)
                            .where(events.c.position > after, needed)
                            .order_by(events.c.position).limit(_PAGE)).all()
        if not rows:
            break
        project(conn, dialect, [row_to_event(r, upcasted=False) for r in rows], replayed)
        after = rows[-1].position
    # Set-based rebuilds run last, so they may read the replayed tables (the voids).
    for projection in PROJECTIONS:
        if projection.rebuild is not None:
            projection.rebuild(conn, dialect)
