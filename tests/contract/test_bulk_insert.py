"""A large batch goes in by the engine's bulk path (COPY on PostgreSQL): it must leave the
same log and the same projection rows as the statement-per-row path of small batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.exc import DatabaseError

from stanceline.store import dialect
from stanceline.store.projections import PROJECTIONS
from stanceline.store.schema import SQLITE_INSERT_GUARD
from stanceline.store.sql import SqlEventStore
from tests.conftest import registry, stance
from tests.contract.test_guards import REPLACING
from tests.contract.test_projection_rebuild import (
    ENGINES,
    answers,
    check_rebuild,
    seeded_batches,
    snapshot,
    sql_store,
)


def content(store: SqlEventStore) -> list[dict[str, Any]]:
    """Every event as stored, but for what differs between two runs (times, chain)."""
    return [{k: v for k, v in e.envelope().items() if k not in ("recorded_at", "hash",
                                                                 "prev_hash")}
            for e in store.iter_all()]


def timeless(tables: dict[str, dict[str, list[tuple[Any, ...]]]]) -> object:
    """Projection rows with their recording times (which differ between runs) left out."""
    return {name: {table: [tuple(v for v in row if not isinstance(v, datetime)) for row in rows]
                   for table, rows in found.items()} for name, found in tables.items()}


@pytest.mark.parametrize("engine", ENGINES)
def test_one_bulk_batch_equals_many_small_ones(engine: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    batches = seeded_batches()
    whole = [e for batch in batches for e in batch]
    with sql_store(engine) as small, sql_store(engine) as bulk:
        monkeypatch.setattr(dialect, "COPY_ROWS", 10**9)
        for batch in batches:
            small.append(batch)
        # Every insert of the batch takes the bulk path, the projections' too.
        monkeypatch.setattr(dialect, "COPY_ROWS", 1)
        answered = bulk.append(whole)
        assert [a.position for a in answered] == list(range(1, len(whole) + 1))
        assert content(bulk) == content(small)
        assert timeless(snapshot(bulk)) == timeless(snapshot(small))
        assert answers(bulk) == answers(small)
        assert bulk.verify().ok
        check_rebuild(bulk)


def test_each_projection_selects_what_it_wants_event_by_event() -> None:
    """`wants.select` (one pass over a batch, what append uses) agrees with the per-event
    test (and so with the SQL clause rebuild compiles from the same rules)."""
    with sql_store("sqlite") as store:
        for batch in seeded_batches():
            store.append(batch)
        log = list(store.iter_all())
    for projection in PROJECTIONS:
        wanted = [e for e in log if projection.wants(e)]
        assert projection.wants.select(log) == wanted, projection.name
    assert any(len(p.wants.select(log)) not in (0, len(log)) for p in PROJECTIONS)


def _fail(*_args: object) -> None:
    raise RuntimeError("the insert broke")


@pytest.mark.parametrize("statement", REPLACING)
def test_the_replace_guard_is_back_after_a_bulk_batch(sqlite_url: str, statement: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite lifts the REPLACE guard inside a large batch's transaction only: afterwards (and
    after a batch that failed) it refuses what it refused before."""
    monkeypatch.setattr(dialect, "COPY_ROWS", 1)
    made = SqlEventStore(sqlite_url)
    try:
        made.append(registry(["fra", "deu"], ["t"]))
        made.append([stance("fra", "t", "supports", "2024"),
                     stance("deu", "t", "opposes", "2024")])
        # A batch that fails after the guard was lifted (its insert breaks): rolled back whole.
        with monkeypatch.context() as broken:
            broken.setattr(dialect.SqliteDialect, "insert", _fail)
            with pytest.raises(RuntimeError, match="the insert broke"):
                made.append([stance("fra", "t", "opposes", "2025")])
        with made.engine.connect() as conn:
            guards = [r[0] for r in conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name = 'events_no_replace'")]
        assert guards == [SQLITE_INSERT_GUARD.replace(" IF NOT EXISTS", "")]
        with pytest.raises(DatabaseError, match="append-only"), made.engine.begin() as conn:
            conn.exec_driver_sql(statement)
        assert made.verify().ok and made.head() == 5
    finally:
        made.close()
