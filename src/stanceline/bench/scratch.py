"""Scratch databases for a run, and raw driver connections to measure the ceilings with."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

BARE = "bare_events"


@dataclass(frozen=True)
class Scratch:
    """A fresh, empty database: a SQLite file, or a private schema on a PostgreSQL server."""

    url: str
    dialect: str
    # The server URL without the schema option (PostgreSQL), and the schema's name.
    base_url: str | None = None
    schema: str | None = None

    @property
    def mark(self) -> str:
        """The driver's parameter mark."""
        return "?" if self.dialect == "sqlite" else "%s"


def engine_name(database: str | None) -> str:
    """`sqlite` or `postgresql`, from the URL given on the command line."""
    return "sqlite" if database is None or database.startswith("sqlite") else "postgresql"


@contextlib.contextmanager
def scratch_database(base_url: str | None, workdir: Path, prefix: str = "bench"
                     ) -> Iterator[Scratch]:
    """A fresh database, dropped afterwards (the SQLite file goes with `workdir`)."""
    if engine_name(base_url) == "sqlite":
        path = workdir / f"{prefix}-{uuid.uuid4().hex[:8]}.db"
        yield Scratch(f"sqlite:///{path}", "sqlite")
        return
    assert base_url is not None
    schema = f"stanceline_{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        joiner = "&" if "?" in base_url else "?"
        yield Scratch(f"{base_url}{joiner}options=-csearch_path%3D{schema}", "postgresql",
                      base_url, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@contextlib.contextmanager
def raw_connection(engine: Engine, *, autocommit: bool = False) -> Iterator[Any]:
    """The DBAPI connection itself (sqlite3 or psycopg), with the engine's connect settings.

    SQLite connections of the store are already in autocommit mode (the store issues BEGIN
    itself); `autocommit` puts a psycopg connection in that mode for bare single statements.
    """
    proxied = engine.raw_connection()
    driver: Any = proxied.driver_connection
    try:
        if autocommit and engine.dialect.name == "postgresql":
            driver.autocommit = True
        yield driver
    finally:
        if engine.dialect.name == "postgresql":
            driver.rollback()
            driver.autocommit = False
        proxied.close()


def create_bare_table(engine: Engine) -> None:
    """A copy of the store's `events` table: same columns, same indexes, no append-only guard.

    SQLite: the DDL of the table and its indexes as the migrations made them, renamed.
    PostgreSQL: `LIKE events INCLUDING ALL` (which copies indexes, never triggers).
    """
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"CREATE TABLE {BARE} (LIKE events INCLUDING ALL)")
            return
        rows = conn.exec_driver_sql(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'events' "
            "AND type IN ('table', 'index') AND sql IS NOT NULL "
            "ORDER BY type = 'index'").all()
        for kind, original in rows:
            if kind == "table":
                ddl = re.sub(r"^CREATE TABLE (\"?)events\1", f"CREATE TABLE {BARE}", original)
            else:
                ddl = re.sub(r"^CREATE (UNIQUE )?INDEX (\"?)(\w+)\2 ON (\"?)events\4",
                             lambda m: f"CREATE {m.group(1) or ''}INDEX bare_{m.group(3)} "
                                       f"ON {BARE}", original)
            if BARE not in ddl:
                raise RuntimeError(f"cannot rename the events DDL for the bare table: {ddl}")
            conn.exec_driver_sql(ddl)


def pages(engine: Engine, table: str, page: int, after: int = 0) -> Iterator[list[Any]]:
    """Every row of `table` after a position, `page` rows at a time, through the driver."""
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = f"SELECT * FROM {table} WHERE position > {mark} ORDER BY position LIMIT {mark}"
    with raw_connection(engine, autocommit=True) as conn:
        while True:
            cursor = conn.cursor()
            try:
                rows = cursor.execute(sql, (after, page)).fetchall()
            finally:
                cursor.close()
            if not rows:
                return
            yield rows
            if len(rows) < page:
                return
            after = rows[-1][0]


def insert_sql(scratch: Scratch, columns: int, table: str = BARE) -> str:
    """`INSERT INTO table VALUES (?, ...)` for rows of `SELECT *` from a copy of it."""
    return f"INSERT INTO {table} VALUES ({', '.join([scratch.mark] * columns)})"


def server_version(engine: Engine) -> str:
    """The engine's version (SQLite library or PostgreSQL server)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return str(conn.exec_driver_sql("SELECT sqlite_version()").scalar())
        return str(conn.exec_driver_sql("SHOW server_version").scalar()).split()[0]
