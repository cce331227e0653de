"""`verify` of the SQL store: every byte an answer reads (issue 14.1).

The chain's digest covers `data`, `source` and the dates' values; the queries also read the
log's denormalised `actor` and `topic` columns and, on SQLite, compare the dates' *text*. So
the walk checks, row by row, besides the chain: `actor` and `topic` are what `data` says
(`chain.check_derived`), and on SQLite each date and recording time is stored as exactly the
text the store writes (a value written `2025-2-3` or `20250203` parses to the same date, so the
hash holds, yet sorts differently as text). It reads driver rows in pages: memory stays flat.

`--deep` then recomputes every projection table from the log into temporary tables, in one
snapshot it rolls back, and compares each with the stored one (the projections are not in the
chain at all: one row inserted into `voids` retracts an event).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateTable

from stanceline.domain.chain import ChainReport, ColumnMismatch, verify_chain
from stanceline.domain.events import RecordedEvent
from stanceline.store.dialect import Dialect
from stanceline.store.projections import PROJECTIONS
from stanceline.store.rebuild import rebuild_projections
from stanceline.store.rows import EVENT_COLUMNS, row_to_event
from stanceline.store.values import to_utc

_NAMES = [c.name for c in EVENT_COLUMNS]
_DAYS = [(_NAMES.index(name), name) for name in ("occurred_start", "occurred_end")]
_RECORDED = _NAMES.index("recorded_at")
_PAGE = 5_000
_SHOWN = 60  # characters of a value a finding shows


def walk(engine: Engine, dialect: Dialect, page: int = _PAGE) -> ChainReport:
    """Walk the whole log from position 1: the chain, the derived columns and (SQLite) the
    stored text of the dates; the first finding names its position (and column)."""
    return verify_chain(_stored(engine, dialect, page))


def _stored(engine: Engine, dialect: Dialect, page: int) -> Iterator[RecordedEvent]:
    """Every event from its raw row, in pages (memory stays flat), SQLite's date text checked
    on the way (raising ColumnMismatch, which the chain's walk reports like its own)."""
    statement = dialect.named(f"SELECT {', '.join(_NAMES)} FROM events "
                              "WHERE position > :after ORDER BY position LIMIT :n")
    after = 0
    while True:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(statement, {"after": after, "n": page}).all()
        for raw in rows:
            if dialect.name == "sqlite":
                check_text(raw, dialect)
            yield row_to_event(raw, upcasted=False, values=dialect)
        if len(rows) < page:
            return
        after = rows[-1][0]


def check_text(raw: Sequence[Any], dialect: Dialect) -> None:
    """Raise ColumnMismatch when a SQLite date or time is not the store's own text of it."""
    position = raw[0]
    for index, name in _DAYS:
        value = raw[index]
        if value is not None and not (isinstance(value, str) and _canonical_day(value)):
            raise ColumnMismatch(position, name, f"holds {_shown(value)}, not a date as the "
                                 "store writes it (YYYY-MM-DD), which the queries compare as text")
    value = raw[_RECORDED]
    if not (isinstance(value, str) and _canonical_moment(value, dialect)):
        raise ColumnMismatch(position, "recorded_at",
                             f"holds {_shown(value)}, not a time as the store writes it "
                             "(YYYY-MM-DD HH:MM:SS.ffffff, UTC), which the queries compare as "
                             "text")


def _canonical_day(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _canonical_moment(text: str, dialect: Dialect) -> bool:
    try:
        return bool(dialect.bind_moment(to_utc(datetime.fromisoformat(text))) == text)
    except ValueError:
        return False


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}..."


def compare_projections(engine: Engine, dialect: Dialect, report: ChainReport) -> ChainReport:
    """`report` if every projection table holds exactly what the log gives, else a report
    naming the first table and row that differ.

    It runs `rebuild`'s own code into temporary tables of the same names, which both engines
    resolve before the stored ones (SQLite's `temp` schema, PostgreSQL's `pg_temp`), inside
    one snapshot of the database (a SQLite read transaction; REPEATABLE READ on PostgreSQL),
    then compares each with the stored table and rolls back. So it writes nothing a writer
    waits for: appends go on meanwhile, and the stored tables are the snapshot's."""
    tables = [t for p in PROJECTIONS for t in p.tables]
    snapshot = (engine.execution_options(isolation_level="REPEATABLE READ")
                if dialect.name == "postgresql" else engine)
    with snapshot.connect() as conn:
        transaction = conn.begin()
        try:
            stored = ("main" if dialect.name == "sqlite" else
                      str(conn.exec_driver_sql("SELECT current_schema()").scalar_one()))
            for table in tables:
                ddl = str(CreateTable(table).compile(dialect=conn.dialect)).strip()
                conn.exec_driver_sql(ddl.replace("CREATE TABLE", "CREATE TEMPORARY TABLE", 1))
            rebuild_projections(conn, dialect)
            rebuilt = "temp" if dialect.name == "sqlite" else "pg_temp"
            for table in tables:
                finding = _first_difference(conn, table, stored, rebuilt)
                if finding is not None:
                    return replace(report, ok=False, detail=finding, table=table.name)
            return report
        finally:
            transaction.rollback()


def _first_difference(conn: Connection, table: sa.Table, stored_schema: str,
                      rebuilt_schema: str) -> str | None:
    """The first row (in key order) that the stored table and the rebuilt one do not share,
    as one line; None when they hold the same rows."""
    quote = conn.dialect.identifier_preparer.quote
    stored_table = f"{quote(stored_schema)}.{quote(table.name)}"
    rebuilt_table = f"{rebuilt_schema}.{quote(table.name)}"
    columns = [c.name for c in table.columns]
    listed = ", ".join(quote(c) for c in columns)
    keys = [c.name for c in table.primary_key.columns] or columns
    order = ", ".join(quote(k) for k in keys)

    def first_of(left: str, right: str) -> dict[str, Any] | None:
        row = conn.exec_driver_sql(
            f"SELECT * FROM (SELECT {listed} FROM {left} EXCEPT SELECT {listed} FROM {right}) "
            f"AS differing ORDER BY {order} LIMIT 1").first()
        return None if row is None else dict(zip(columns, row, strict=True))

    stored = first_of(stored_table, rebuilt_table)
    derived = first_of(rebuilt_table, stored_table)
    if stored is not None and derived is not None and all(
            stored[k] == derived[k] for k in keys):
        changed = [c for c in columns if stored[c] != derived[c]]
        return (f"table `{table.name}`: row {_row(stored, keys)} holds "
                f"{_row(stored, changed)} but the log gives {_row(derived, changed)}")
    if stored is not None:
        return (f"table `{table.name}`: row {_row(stored, columns)} is stored but the log "
                "does not give it")
    if derived is not None:
        return (f"table `{table.name}`: the log gives row {_row(derived, columns)} but it is "
                "not stored")
    return None


def _row(row: dict[str, Any], columns: Sequence[str]) -> str:
    parts = []
    for name in columns:
        value = row[name]
        if isinstance(value, bytes | memoryview):
            value = bytes(value).hex()
        parts.append(f"{name}={_shown(value)}")
    return f"({', '.join(parts)})"
