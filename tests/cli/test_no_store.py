"""Issue 11.8: only `serve`, `migrate`, `load`, `append` and `import` create or migrate a store;
every other command on a missing, empty or older store says so in one line and leaves nothing
behind, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from stanceline.cli import app
from stanceline.store.migrate import upgrade

runner = CliRunner()

READS = [["verify"], ["rebuild"], ["export"], ["stance", "fra", "troops-in-ukraine"],
         ["history", "fra", "troops-in-ukraine"], ["changes", "--from", "2025-01-01"]]


def refused(args: list[str], url: str) -> str:
    result = runner.invoke(app, [*args, "-d", url])
    assert result.exit_code == 1, (args, result.output)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert "`stanceline migrate`" in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("args", READS, ids=lambda a: a[0])
def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Path,
                                                           args: list[str]) -> None:
    path = tmp_path / "elsewhere" / "stanceline.db"
    path.parent.mkdir()
    line = refused(args, f"sqlite:///{path}")
    assert line == f"error: no Stanceline store at {path}; `stanceline migrate` creates one"
    assert list(path.parent.iterdir()) == []


def test_export_to_a_file_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "dump.jsonl"
    refused(["export", str(out)], f"sqlite:///{tmp_path / 'none.db'}")
    assert not out.exists() and not (tmp_path / "none.db").exists()


def test_an_empty_or_older_sqlite_store_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sa.create_engine(f"sqlite:///{empty}").connect().close()  # a file with no tables
    assert "no Stanceline store at" in refused(["verify"], f"sqlite:///{empty}")
    older_url = f"sqlite:///{tmp_path / 'older.db'}"
    engine = sa.create_engine(older_url)
    upgrade(engine, "0002")
    engine.dispose()
    assert "older than" in refused(["verify"], older_url)
    with sa.create_engine(older_url).connect() as conn:  # not migrated behind our back
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"


def test_the_writing_commands_still_create(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert runner.invoke(app, ["migrate", "-d", url]).exit_code == 0
    assert runner.invoke(app, ["verify", "-d", url]).output.startswith("ok: 0 events")


def _tables(pg_url: str) -> list[str]:
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()").scalars())
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("args", READS, ids=lambda a: a[0])
def test_an_empty_postgres_schema_is_refused_and_left_empty(pg_url: str,
                                                            args: list[str]) -> None:
    line = refused(args, pg_url)
    assert "no Stanceline store at postgresql" in line
    assert _tables(pg_url) == []


@pytest.mark.postgres
def test_an_older_postgres_store_is_refused_and_left_as_it_is(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    upgrade(engine, "0002")
    engine.dispose()
    before = sorted(_tables(pg_url))
    assert "older than" in refused(["stance", "fra", "troops-in-ukraine"], pg_url)
    assert sorted(_tables(pg_url)) == before
    assert runner.invoke(app, ["migrate", "-d", pg_url]).exit_code == 0
    assert runner.invoke(app, ["verify", "-d", pg_url]).output.startswith("ok: 0 events")
