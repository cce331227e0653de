"""Statements sent together: on PostgreSQL in one pipeline (one round trip for all of them),
on SQLite one after another (in-process: there is no round trip to save).

`Reads` takes plain reads: each statement's rows land in the list `ask` handed out, once
`send` returns; they go straight to the driver. Inside `writes`, statements that only change
rows are queued and sent together; `pipelined_commit` ends a transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# Where a connection keeps its open `writes` pipeline (conn.info), for the reads inside it.
_PIPELINE = "stanceline_pipeline"
# Statements that answer no rows: inside `writes` they wait in the queue.
_QUEUED = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT")


class Reads:
    """Statements to send in one go, each with the list its rows will fill."""

    def __init__(self) -> None:
        self._asks: list[tuple[str, Sequence[Any], list[Any]]] = []

    def ask(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Queue `sql`; the returned list holds its rows once `send` has run."""
        rows: list[Any] = []
        self._asks.append((sql, tuple(params), rows))
        return rows

    def send(self, conn: Connection, pipelined: bool) -> None:
        """Run every queued statement on `conn`'s driver connection, in order."""
        asks, self._asks = self._asks, []
        driver: Any = conn.connection.driver_connection
        if not pipelined:
            for sql, params, found in asks:
                found.extend(driver.execute(sql, params).fetchall())
            return
        # Inside `writes` (a request of a group commit) they join its pipeline, and one
        # sync sends them with what it holds; otherwise their own pipeline's end does.
        outer = conn.info.get(_PIPELINE)
        with nullcontext() if outer else driver.pipeline():
            cursors = [driver.cursor() for _ in asks]
            for cursor, (sql, params, _rows) in zip(cursors, asks, strict=True):
                cursor.execute(sql, params)
            if outer:
                outer.sync()
        for cursor, (_sql, _params, found) in zip(cursors, asks, strict=True):
            found.extend(cursor.fetchall())
            cursor.close()


@contextmanager
def writes(conn: Connection, pipelined: bool) -> Iterator[None]:
    """Send the statements run on `conn` in this block together (PostgreSQL: one pipeline,
    one round trip at its end), except that a statement that may answer rows (a SELECT,
    a RETURNING) waits for its answer there and then, with whatever was queued before it.
    Inside another such block, this one is part of it (its end sends everything)."""
    if not pipelined or _PIPELINE in conn.info:
        yield
        return
    driver: Any = conn.connection.driver_connection
    with driver.pipeline() as pipeline:
        def answer_reads(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if (not statement.lstrip().upper().startswith(_QUEUED)
                    or "RETURNING" in statement.upper()):
                pipeline.sync()

        sa.event.listen(conn, "after_cursor_execute", answer_reads)
        conn.info[_PIPELINE] = pipeline
        try:
            yield
        finally:
            del conn.info[_PIPELINE]
            sa.event.remove(conn, "after_cursor_execute", answer_reads)


def in_pipeline(conn: Connection) -> bool:
    """Whether `conn` is inside a `writes` block that pipelines (statements are queued)."""
    return _PIPELINE in conn.info


def pipelined_commit(conn: Connection, last: str) -> None:
    """Run `last` (a statement that cannot fail in a sound transaction) and COMMIT in one
    pipeline (psycopg): one round trip for both."""
    driver: Any = conn.connection.driver_connection
    # A failed transaction would answer COMMIT with ROLLBACK and no error; `last` fails in it.
    with driver.pipeline():
        driver.execute(last)
        driver.execute("COMMIT")
