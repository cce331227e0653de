"""month_counts: the timeline's counts read from the projection equal grouping the log itself,
after appends, retractions, corrections and a rebuild, and after the 0009 migration fills it
from a log that predates it; the busiest lanes are folded alike on every store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from stanceline.domain.lanes import OTHERS, fold, lane_totals
from stanceline.store.base import EventFilter, EventStore
from stanceline.store.migrate import alembic_config
from stanceline.store.sql import SqlEventStore
from tests.conftest import event, registry, stance

T, U = "troops", "air"
NAMES = registry(["fra", "pol", "gbr", "rus", "emmanuel-macron"], [T, U])
# A filter the projection cannot answer that keeps every event: the store groups the log.
EVERYTHING_KNOWN = datetime(2999, 1, 1, tzinfo=UTC)
FILTERS = [EventFilter(), EventFilter(type="stance.declared"), EventFilter(type="meeting.held"),
           EventFilter(topic=T), EventFilter(topic=U, type="stance.declared"),
           *(EventFilter(actor=a) for a in ("fra", "pol", "gbr", "rus", "emmanuel-macron")),
           EventFilter(actor="fra", type="stance.declared"), EventFilter(actor="nobody")]


def _log(store: EventStore) -> tuple[str, str]:
    """A log with every kind of row the table keeps: speakers, participants, undated
    registrations, a year-precise statement; returns two stances to retract and to correct later."""
    wrong = stance("fra", T, "opposes", "2024-03-01")
    corrected = stance("pol", T, "opposes", "2024-02-01")
    meeting = event("meeting.held", occurred="2024-02-15",
                    data={"title": "Retreat", "participants": ["fra", "gbr"]})
    store.append(NAMES)
    store.append([
        stance("fra", T, "supports", "2024-02-10"),
        stance("fra", T, "supports", "2024-02-20", data_extra={"speaker": "emmanuel-macron"}),
        stance("fra", U, "opposes", "2024-03"),
        corrected, wrong, meeting,
        event("statement.made", occurred="2025", data={"actor": "rus", "summary": "no"}),
    ])
    return wrong.id, corrected.id


def _grouped(store: EventStore, flt: EventFilter) -> EventFilter:
    """The same filter as one the projection cannot answer (every event known by then)."""
    return EventFilter(actor=flt.actor, topic=flt.topic, type=flt.type,
                       known_at=EVERYTHING_KNOWN)


def _agree(store: EventStore) -> None:
    for flt in FILTERS:
        from_log = store.buckets(_grouped(store, flt))
        assert store.buckets(flt) == from_log, flt
        assert store.count(flt) == store.count(_grouped(store, flt)), flt
        assert store.lane_totals(flt) == lane_totals(from_log), flt
        for kept in ([], ["fra"], ["fra", "", "rus"]):
            assert store.buckets(flt, kept) == fold(from_log, kept), (flt, kept)


def test_the_projection_equals_grouping_the_log(bare_store: EventStore) -> None:
    wrong, corrected = _log(bare_store)
    assert bare_store.buckets(EventFilter(topic=T)) == [
        ("fra", "2024-02", "supports", 2), ("fra", "2024-03", "opposes", 1),
        ("pol", "2024-02", "opposes", 1)]
    _agree(bare_store)
    # A retraction and a correction: the voided events still count, as the chart drew them.
    before = bare_store.buckets(EventFilter())
    bare_store.append([
        event("event.retracted", data={"target": wrong, "reason": "misread"}),
        stance("pol", T, "supports", "2024-04-02", supersedes=corrected),
    ])
    after = bare_store.buckets(EventFilter())
    assert ("fra", "2024-03", "opposes", 2) in after
    assert ("pol", "2024-02", "opposes", 1) in after
    assert sum(n for *_, n in after) == sum(n for *_, n in before) + 1
    _agree(bare_store)
    bare_store.rebuild()
    assert bare_store.buckets(EventFilter()) == after
    _agree(bare_store)


def test_the_busiest_lanes_keep_theirs_and_the_rest_share_one(bare_store: EventStore) -> None:
    _log(bare_store)
    assert bare_store.lane_totals(EventFilter()) == {"": 1, "fra": 4, "pol": 1, "rus": 1}
    assert bare_store.buckets(EventFilter(), ["fra"]) == [
        (OTHERS, "2024-02", "meeting.held", 1), (OTHERS, "2024-02", "opposes", 1),
        (OTHERS, "2025-01", "statement.made", 1),
        ("fra", "2024-02", "supports", 2), ("fra", "2024-03", "opposes", 2)]
    assert bare_store.count(EventFilter(actor="rus")) == 2  # its undated registration too


def test_the_sql_store_reads_the_table(sql_store: SqlEventStore) -> None:
    _log(sql_store)
    made = sql_store.buckets(EventFilter())
    with sql_store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM month_counts"))
        conn.execute(sa.text("DELETE FROM lane_counts"))
    assert sql_store.buckets(EventFilter()) == [] and sql_store.count(EventFilter()) == 0
    assert sql_store.lane_totals(EventFilter()) == {}
    assert sql_store.buckets(_grouped(sql_store, EventFilter())) == made
    sql_store.rebuild()
    assert sql_store.buckets(EventFilter()) == made


def test_the_migration_fills_the_table_from_an_existing_log(sql_store: SqlEventStore) -> None:
    _log(sql_store)
    made = {str(f): sql_store.buckets(f) for f in FILTERS}
    config = alembic_config()
    with sql_store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
        assert not sa.inspect(conn).has_table("month_counts")
        assert not sa.inspect(conn).has_table("lane_counts")
    sql_store.migrate()
    with sql_store.engine.connect() as conn:
        for table in ("month_counts", "lane_counts"):
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one() > 0
    assert {str(f): sql_store.buckets(f) for f in FILTERS} == made
    _agree(sql_store)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest) -> Iterator[SqlEventStore]:
    """Each SQL store, empty (the memory store has no schema to migrate)."""
    made = SqlEventStore(request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                                 else "pg_url"))
    yield made
    made.close()
