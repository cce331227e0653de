"""The database itself refuses UPDATE and DELETE on the log (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from stanceline.store.migrate import head_revision
from stanceline.store.sql import SqlEventStore
from tests.conftest import registry, stance


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest) -> Iterator[SqlEventStore]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    made = SqlEventStore(url)
    made.append(registry(["fra", "deu"], ["t"]))
    made.append([stance("fra", "t", "supports", "2024"), stance("deu", "t", "opposes", "2024")])
    yield made
    made.close()


@pytest.mark.parametrize("statement", [
    "UPDATE events SET data = '{}' WHERE position = 1",
    "UPDATE events SET position = 9",
    "DELETE FROM events WHERE position = 2",
    "DELETE FROM events",
])
def test_raw_update_and_delete_fail(sql_store: SqlEventStore, statement: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), sql_store.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert sql_store.head() == 5
    assert sql_store.verify().ok


REPLACING = [
    "INSERT OR REPLACE INTO events SELECT * FROM events WHERE position = 2",
    "REPLACE INTO events SELECT * FROM events WHERE position = 3",
    # Another row's content under a kept position: REPLACE would delete the original.
    "INSERT OR REPLACE INTO events (position, id, stream, version, type, schema_version, "
    "recorded_at, data, disputed, hash, prev_hash) SELECT 4, id, stream, version, type, "
    "schema_version, recorded_at, data, disputed, hash, prev_hash FROM events WHERE position = 5",
    # A fresh position with an existing id, or an existing (stream, version).
    "INSERT OR REPLACE INTO events SELECT 99, id, stream, version, type, schema_version, "
    "occurred, occurred_start, occurred_end, precision, occurred_text, relative_to, "
    "recorded_at, actor, topic, data, source, supersedes, disputed, note, hash, prev_hash, "
    "recorded_by FROM events WHERE position = 4",
    "INSERT INTO events SELECT * FROM events WHERE position = 1 "
    "ON CONFLICT DO UPDATE SET data = '{}'",
    "INSERT OR IGNORE INTO events SELECT * FROM events WHERE position = 1",
]


@pytest.mark.parametrize("statement", REPLACING)
def test_replace_and_upserts_fail_on_sqlite(sqlite_url: str, statement: str) -> None:
    made = SqlEventStore(sqlite_url)
    try:
        made.append(registry(["fra", "deu"], ["t"]))
        made.append([stance("fra", "t", "supports", "2024"),
                     stance("deu", "t", "opposes", "2024")])
        before = [tuple(r) for r in made.engine.connect().exec_driver_sql(
            "SELECT * FROM events ORDER BY position")]
        with pytest.raises(DatabaseError, match="append-only"), made.engine.begin() as conn:
            conn.exec_driver_sql(statement)
        with made.engine.connect() as conn:
            after = [tuple(r) for r in conn.exec_driver_sql(
                "SELECT * FROM events ORDER BY position")]
        assert after == before
        assert made.verify().ok
    finally:
        made.close()


@pytest.mark.postgres
def test_truncate_fails_on_postgres(request: pytest.FixtureRequest) -> None:
    made = SqlEventStore(request.getfixturevalue("pg_url"))
    try:
        made.append([*registry(["fra"], ["t"]), stance("fra", "t", "supports", "2024")])
        with pytest.raises(DatabaseError, match="append-only"), made.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE events")
        assert made.head() == 3
    finally:
        made.close()


def test_migrations_are_idempotent_and_recorded(sql_store: SqlEventStore) -> None:
    sql_store.migrate()
    with sql_store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
            == head_revision()
    assert sql_store.head() == 5
