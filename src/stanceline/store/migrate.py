"""Run Alembic's migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from stanceline.errors import NoStore
from stanceline.store.dialect import MIGRATE_LOCK_KEY, dialect_for

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision`."""
    config = alembic_config()
    with engine.execution_options(stanceline_write=True).begin() as conn:
        # Two processes starting together must not both create the schema.
        dialect_for(engine.url).lock(conn, MIGRATE_LOCK_KEY)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def head_revision() -> str | None:
    """The newest revision this version of Stanceline migrates to."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def require_current(url: str) -> None:
    """Raise NoStore unless `url` names a store already migrated to head; touch nothing.

    A SQLite file is never created (its existence is checked before any connection), and on
    PostgreSQL only Alembic's version table is read: no schema, table or row is written.
    """
    parsed = sa.engine.make_url(url)
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        where = database or where
        if database in ("", ":memory:") or not Path(database).is_file():
            raise NoStore(f"no Stanceline store at {where}; `stanceline migrate` creates one")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    head = head_revision()
    if current is None:
        raise NoStore(f"no Stanceline store at {where}; `stanceline migrate` creates one")
    if current != head:
        script = ScriptDirectory.from_config(alembic_config())
        known = {r.revision for r in script.walk_revisions()}
        if current in known:
            raise NoStore(f"the Stanceline store at {where} is at revision {current}, older "
                          f"than this version's {head}; `stanceline migrate` upgrades it")
        raise NoStore(f"the store at {where} is at revision {current}, which this version of "
                      "Stanceline does not know (is it newer?)")
