"""Run Alembic's migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

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
