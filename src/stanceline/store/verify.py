"""`verify` of the SQL store: every byte an answer reads (issue 14.1).

The chain's digest covers `data`, `source` and the dates' values; the queries also read the
log's denormalised `actor` and `topic` columns and, on SQLite, compare the dates' *text*. So
the walk checks, row by row, besides the chain: `actor` and `topic` are what `data` says
(`chain.check_derived`), and on SQLite each date and recording time is stored as exactly the
text the store writes (a value written `2025-2-3` or `20250203` parses to the same date, so the
hash holds, yet sorts differently as text). It reads driver rows in pages: memory stays flat.

`--deep` then recomputes every projection table from the log, inside a write transaction that
it rolls back, and compares it with the stored one (the projections are not in the chain at
all: one row inserted into `voids` retracts an event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from stanceline.domain.chain import (
    ChainBroken,
    ChainChecker,
    ChainReport,
    ColumnMismatch,
    broken_report,
)
from stanceline.errors import CorruptRecord
from stanceline.store.dialect import Dialect, to_utc
from stanceline.store.projections import PROJECTIONS
from stanceline.store.rebuild import rebuild_projections
from stanceline.store.rows import EVENT_COLUMNS, row_to_event

_NAMES = [c.name for c in EVENT_COLUMNS]
_DAYS = [(_NAMES.index(name), name) for name in ("occurred_start", "occurred_end")]
_RECORDED = _NAMES.index("recorded_at")
_PAGE = 5_000
_SHOWN = 60  # characters of a value a finding shows


def walk(engine: Engine, dialect: Dialect, page: int = _PAGE) -> ChainReport:
    """Walk the whole log from position 1: the chain, the derived columns and (SQLite) the
    stored text of the dates; the first finding names its position (and column)."""
    statement = dialect.named(f"SELECT {', '.join(_NAMES)} FROM events "
                              "WHERE position > :after ORDER BY position LIMIT :n")
    checker = ChainChecker()
    after = 0
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.exec_driver_sql(statement, {"after": after, "n": page}).all()
            for raw in rows:
                if dialect.name == "sqlite":
                    check_text(raw, dialect)
                checker.check(row_to_event(raw, upcasted=False, values=dialect))
            if len(rows) < page:
                break
            after = rows[-1][0]
    except ChainBroken as broken:
        return broken_report(checker, broken)
    except CorruptRecord as corrupt:
        return ChainReport(False, checker.count, checker.head, corrupt.position,
                           f"the stored row cannot be read ({corrupt.reason})")
    return ChainReport(True, checker.count, checker.head)


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


def compare_projections(writer: Engine, dialect: Dialect, report: ChainReport) -> ChainReport:
    """`report` if every projection table holds exactly what the log gives, else a report
    naming the first table and row that differ. Runs the same code as `rebuild` in a write
    transaction (appends wait for it) and rolls it back: nothing changes."""
    tables = [t for p in PROJECTIONS for t in p.tables]
    with writer.connect() as conn:
        transaction = conn.begin()
        try:
            dialect.lock(conn)
            for table in tables:
                conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_snapshot(table)} AS "
                                     f"SELECT * FROM {table.name}")
            rebuild_projections(conn, dialect)
            for table in tables:
                finding = _first_difference(conn, table)
                if finding is not None:
                    return replace(report, ok=False, detail=finding, table=table.name)
            return report
        finally:
            transaction.rollback()


def _snapshot(table: sa.Table) -> str:
    return f"stanceline_snapshot_{table.name}"


def _first_difference(conn: Connection, table: sa.Table) -> str | None:
    """The first row (in key order) that the stored table (now in its snapshot) and the
    rebuilt one do not share, as one line; None when they hold the same rows."""
    quote = conn.dialect.identifier_preparer.quote
    columns = [c.name for c in table.columns]
    listed = ", ".join(quote(c) for c in columns)
    keys = [c.name for c in table.primary_key.columns] or columns
    order = ", ".join(quote(k) for k in keys)

    def first_of(left: str, right: str) -> dict[str, Any] | None:
        row = conn.exec_driver_sql(
            f"SELECT * FROM (SELECT {listed} FROM {left} EXCEPT SELECT {listed} FROM {right}) "
            f"AS differing ORDER BY {order} LIMIT 1").first()
        return None if row is None else dict(zip(columns, row, strict=True))

    stored = first_of(_snapshot(table), table.name)
    derived = first_of(table.name, _snapshot(table))
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
