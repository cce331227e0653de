"""What one single-event append costs the database: round trips on PostgreSQL (counted in
libpq's own protocol trace), statements on SQLite (counted by the driver's trace hook)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from stanceline.store.sql import SqlEventStore
from tests.conftest import DIRECTORY_SIZE, event, with_directory
from tests.contract.test_group_commit import log_held, wait_for

# BEGIN, the advisory lock, every read in one pipeline, the log's row and the projections'
# inserts in another, NOTIFY and COMMIT together. (It was 13.)
PG_ROUND_TRIPS = 5
# BEGIN IMMEDIATE, six reads, the row (the driver traces an executemany twice), the citation
# and the stance pair, the page's counters (six month and two lane rows of one executemany
# each, in-process: no round trip) and COMMIT.
SQLITE_STATEMENTS = 20


def appended_once(store: SqlEventStore, watch: Any) -> None:
    """Append one cited stance with `watch(driver_connection)` on every connection checked
    out meanwhile."""
    with_directory(store)
    store.append([event()])  # the kept document texts and prepared plans are warm
    def on_checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
        watch(dbapi)

    sa.event.listen(store.engine, "checkout", on_checkout)
    try:
        store.append([event()])
    finally:
        sa.event.remove(store.engine, "checkout", on_checkout)


@pytest.mark.postgres
def test_a_single_append_on_postgresql_takes_few_round_trips(pg_url: str,
                                                             tmp_path: Path) -> None:
    store = SqlEventStore(pg_url)
    trace = tmp_path / "libpq.trace"
    traced: list[Any] = []
    with trace.open("w") as out:
        def watch(dbapi: Any) -> None:
            dbapi.pgconn.trace(out.fileno())
            traced.append(dbapi)

        appended_once(store, watch)
        for dbapi in traced:
            dbapi.pgconn.untrace()
    store.close()
    lines = trace.read_text().splitlines()
    # Each round trip ends with the server's ReadyForQuery (one per Sync or simple query).
    waits = [line for line in lines if "\tB\t" in line and "ReadyForQuery" in line]
    assert "COMMIT" in trace.read_text() and "pg_notify" in trace.read_text()
    assert 0 < len(waits) <= PG_ROUND_TRIPS, "\n".join(lines)


def test_a_single_append_on_sqlite_runs_few_statements(sqlite_url: str) -> None:
    store = SqlEventStore(sqlite_url)
    statements: list[str] = []
    appended_once(store, lambda dbapi: dbapi.set_trace_callback(statements.append))
    store.close()
    # The writer's page cache grows for its checkout and shrinks back (store/sqlite_connect.py):
    # two pragmas around the transaction, never a statement inside it.
    pragmas = [s for s in statements if s.startswith("PRAGMA cache_size")]
    body = [s for s in statements if not s.startswith("PRAGMA cache_size")]
    assert len(pragmas) <= 2, pragmas
    assert body[0] == "BEGIN IMMEDIATE" and body[-1] == "COMMIT"
    assert len(body) <= SQLITE_STATEMENTS, "\n".join(statements)


@pytest.mark.postgres
def test_a_failed_transaction_is_not_taken_for_committed(pg_url: str) -> None:
    store = SqlEventStore(pg_url)
    try:
        with pytest.raises(psycopg.errors.InFailedSqlTransaction), store._write() as conn:
            conn.exec_driver_sql("INSERT INTO topics (topic, title, description, position) "
                                 "VALUES ('t', 'T', '', 1)")
            with pytest.raises(sa.exc.DataError):
                conn.exec_driver_sql("SELECT 1 / 0")
            # PostgreSQL would answer a bare COMMIT here with ROLLBACK, and no error.
            store.sql.commit(conn)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM topics").scalar_one() == 0
    finally:
        store.close()


@pytest.mark.postgres
def test_a_request_of_a_group_commit_takes_two_round_trips(pg_url: str, tmp_path: Path) -> None:
    store = SqlEventStore(pg_url)
    try:
        appended_in_batches(store, tmp_path)
    finally:
        store.close()


def appended_in_batches(store: SqlEventStore, tmp_path: Path) -> None:
    """Eight appends that queue behind a held lock, traced."""
    with_directory(store)
    store.append([event()])
    writers = 8
    trace = tmp_path / "libpq.trace"
    traced: list[Any] = []
    with trace.open("w") as out:
        def on_checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
            dbapi.pgconn.trace(out.fileno())
            traced.append(dbapi)

        sa.event.listen(store.engine, "checkout", on_checkout)
        commits, arrived = store.group.commits, store.group.arrived
        threads = [threading.Thread(target=store.append, args=([event()],))
                   for _ in range(writers)]
        with log_held(store):  # they all queue, then go in as few batches as can be
            for t in threads:
                t.start()
            wait_for(lambda: store.group.arrived - arrived == writers)
        for t in threads:
            t.join()
        sa.event.remove(store.engine, "checkout", on_checkout)
        for dbapi in traced:
            dbapi.pgconn.untrace()
    batches = store.group.commits - commits
    assert store.head() == DIRECTORY_SIZE + 1 + writers and batches < writers
    waits = [line for line in trace.read_text().splitlines()
             if "\tB\t" in line and "ReadyForQuery" in line]
    # Each transaction (the batches and the holder's): BEGIN, the lock, NOTIFY + COMMIT;
    # each request: its reads (with its SAVEPOINT), its writes. (A SAVEPOINT apart: 3.)
    assert len(waits) <= 3 * (batches + 1) + 2 * writers, len(waits)
