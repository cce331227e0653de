"""Run Alembic's migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

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
        if engine.dialect.name == "postgresql":
            # Two processes starting together must not both create the schema.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7468)")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
