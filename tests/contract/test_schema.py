"""The schema the migrations create is the schema the code declares (one MetaData, Core and
SQLModel tables alike): a table changed without its migration fails here."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from stanceline.store.projections import PROJECTIONS
from stanceline.store.schema import metadata
from stanceline.store.sql import SqlEventStore


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migrated_database_equals_the_metadata(engine: str,
                                               request: pytest.FixtureRequest) -> None:
    store = SqlEventStore(request.getfixturevalue("sqlite_url" if engine == "sqlite"
                                                  else "pg_url"))
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        store.close()


def test_every_projection_table_is_on_the_one_metadata() -> None:
    tables = {t.name for p in PROJECTIONS for t in p.tables}
    assert tables == {"event_refs", "voids", "claims", "actors", "actor_aliases", "topics",
                      "documents", "citations", "stance_pairs", "month_counts", "lane_counts"}
    assert set(metadata.tables) == tables | {"events", "checkpoints"}
