"""What differs between SQLite and PostgreSQL, in one small class per engine.

The store's logic is written once against `Dialect`; `dialect_for` picks the class from the
engine's name, once, when the store is opened. A third engine is a third class here.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from stanceline.domain.events import RecordedEvent
from stanceline.errors import Busy
from stanceline.store.pipeline import in_pipeline, pipelined_commit
from stanceline.store.schema import SQLITE_INSERT_GUARD
from stanceline.store.sessions import SessionLimits
from stanceline.store.sqlite_connect import on_connect as _sqlite_on_connect
from stanceline.store.sqlite_connect import sqlite_engine
from stanceline.store.values import CoreValues, to_utc

NOTIFY_CHANNEL = "stanceline_events"
# Any constant will do: it only has to be the same for every process sharing the database.
APPEND_LOCK_KEY = 0x5374616E6365  # "Stance"
MIGRATE_LOCK_KEY = 7468
# From this many rows on, inserts take the engine's bulk path (COPY on PostgreSQL; SQLite
# lifts the REPLACE guard for the batch); a single append keeps its plain INSERT.
COPY_ROWS = 100
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
# The text form SQLAlchemy's DateTime uses on SQLite: raw SQL compares and writes the same text.
_SQLITE_MOMENT = "%Y-%m-%d %H:%M:%S.%f"
_FAR_FUTURE_TEXT = FAR_FUTURE.strftime(_SQLITE_MOMENT)

# The log's columns in the order of the driver-level INSERT (the append's hot path).
INSERT_COLUMNS = (
    "position", "id", "stream", "version", "type", "schema_version", "occurred",
    "occurred_start", "occurred_end", "precision", "occurred_text", "relative_to",
    "recorded_at", "actor", "topic", "data", "source", "supersedes", "disputed", "note", "hash",
    "prev_hash", "recorded_by",
)


class Dialect(ABC):
    """The engine-specific parts of the store. A dialect is also the `Values` of its
    driver's raw rows (what the hot read path gets, bypassing SQLAlchemy's types)."""

    name: ClassVar[str]
    # The driver's parameter mark, for the statements the hot paths send to the driver.
    mark: ClassVar[str]
    # How many ids one statement may carry (SQLite caps a statement's parameters).
    id_chunk: ClassVar[int] = 500
    # Whether appends are announced (NOTIFY) to listeners in other processes.
    notifies: ClassVar[bool] = False
    # Whether statements sent together share one round trip (store/pipeline.py).
    pipelines: ClassVar[bool] = False

    @abstractmethod
    def create_engine(self, url: str, limits: SessionLimits | None = None) -> Engine:
        """An engine with the settings this engine needs for a durable, concurrent log."""


    @abstractmethod
    def lock(self, conn: Connection, key: int = APPEND_LOCK_KEY) -> None:
        """Serialise writers for the rest of this transaction."""

    def named(self, sql: str) -> str:
        """A statement with `:name` parameters in the driver's own named style."""
        return sql

    def insert_sql(self, table: str, columns: Sequence[str], suffix: str = "") -> str:
        """A driver-level INSERT for executemany."""
        marks = ", ".join([self.mark] * len(columns))
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){suffix}"

    def write_many(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One executemany of a statement that answers no rows."""
        conn.exec_driver_sql(sql, list(rows))

    def insert(self, conn: Connection, table: str, columns: Sequence[str],
               rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows of `columns` on the driver: one executemany."""
        self.write_many(conn, self.insert_sql(table, columns), rows)

    def insert_new(self, conn: Connection, table: sa.Table, columns: Sequence[str],
                   rows: Sequence[Sequence[Any]]) -> None:
        """Insert the rows not already in `table` (by its keys): one executemany."""
        self.write_many(conn, self.insert_sql(table.name, columns, " ON CONFLICT DO NOTHING"),
                        rows)

    def insert_events(self, conn: Connection, new: Sequence[RecordedEvent]) -> None:
        """Insert new events into the log (`event_rows`, through `insert`)."""
        self.insert(conn, "events", INSERT_COLUMNS, self.event_rows(new))

    @abstractmethod
    def bind_id(self, event_id: str) -> Any:
        """An event id as the driver binds it."""

    @abstractmethod
    def bind_day(self, day: date | None) -> Any:
        """A date as the driver binds it."""

    @abstractmethod
    def bind_moment(self, moment: datetime | None) -> Any:
        """A recording time (None: no bound) as raw SQL compares it."""

    @abstractmethod
    def event_rows(self, new: Sequence[RecordedEvent]) -> list[tuple[Any, ...]]:
        """Rows of INSERT_COLUMNS for the driver's executemany (no SQLAlchemy binding)."""

    @abstractmethod
    def any_present(self, ids: Sequence[tuple[str, bytes]]) -> tuple[str, tuple[Any, ...]]:
        """The statement (and its parameters) that finds whether any of these (id, 16 bytes)
        is in the log: one cheap probe, a row if so."""

    def probe_chunk(self, total: int) -> int:
        """How many ids one presence probe carries."""
        return self.id_chunk

    @abstractmethod
    def month(self, column: Any) -> ColumnElement[str]:
        """`YYYY-MM` of a date column."""

    @abstractmethod
    def json_text(self, column: Any, key: str) -> ColumnElement[str]:
        """A top-level key of a JSON text column, as text (NULL when absent or null)."""

    def commit(self, conn: Connection) -> None:  # noqa: B027 - optional
        """End an append's transaction (PostgreSQL announces the head); here SQLAlchemy's."""

    @staticmethod
    @abstractmethod
    def read_id(value: Any) -> str:
        """An event id from a driver row."""

    @staticmethod
    @abstractmethod
    def read_day(value: Any) -> date | None:
        """A date from a driver row."""

    @staticmethod
    @abstractmethod
    def read_moment(value: Any) -> datetime:
        """A recording time from a driver row, in UTC."""

    @abstractmethod
    def hot_connect(self, engine: Engine) -> Any:
        """An autocommit driver connection outside the pool, for single-statement reads."""

    def hot_execute(self, cursor: Any, sql: str, params: dict[str, Any]) -> None:
        """Run a hot read on a cursor of a `hot_connect` connection."""
        cursor.execute(sql, params)


class SqliteDialect(Dialect):
    """SQLite: BEGIN IMMEDIATE as the write lock, ids as 16 bytes, dates as ISO text."""

    name = "sqlite"
    mark = "?"

    def write_many(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Straight to sqlite3, in the transaction `conn` began: SQLAlchemy's statement
        machinery costs ~45 us a call, and a single append makes six of them."""
        conn.connection.driver_connection.executemany(sql, rows)  # type: ignore[union-attr]

    def create_engine(self, url: str, limits: SessionLimits | None = None) -> Engine:
        """Transactions begun by the store, pragmas set per connection, a bounded pool (all in
        store/sqlite_connect.py); `limits` are PostgreSQL's (a SQLite writer's lock dies with
        its process)."""
        return sqlite_engine(url)

    def lock(self, conn: Connection, key: int = APPEND_LOCK_KEY) -> None:
        """Writers already hold the write lock: their transaction began IMMEDIATE."""

    def bind_id(self, event_id: str) -> Any:
        """16 bytes: a smaller, faster unique index."""
        return UUID(event_id).bytes

    def bind_day(self, day: date | None) -> Any:
        """ISO text; binding text avoids the driver's deprecated date adapters."""
        return None if day is None else day.isoformat()

    def bind_moment(self, moment: datetime | None) -> Any:
        """The text SQLAlchemy stores, so raw comparisons agree with Core's."""
        if moment is None:
            return _FAR_FUTURE_TEXT  # the as-of path's usual case: no strftime per question
        return moment.astimezone(UTC).strftime(_SQLITE_MOMENT)

    def event_rows(self, new: Sequence[RecordedEvent]) -> list[tuple[Any, ...]]:
        """Text dates and times (what SQLAlchemy's types store here, so its reads parse them);
        one recording time per batch."""
        stamp = self.bind_moment(new[0].recorded_at)
        return [(e.position, e.key or UUID(e.id).bytes, e.stream, e.version, e.type,
                 e.schema_version, e.occurred,
                 None if e.occurred_start is None else e.occurred_start.isoformat(),
                 None if e.occurred_end is None else e.occurred_end.isoformat(),
                 e.precision, e.occurred_text, e.relative_to, stamp, e.actor, e.topic,
                 e.data_json, e.source_json,
                 None if e.supersedes is None else UUID(e.supersedes).bytes, e.disputed,
                 e.note, e.hash, e.prev_hash, e.recorded_by) for e in new]

    def insert_events(self, conn: Connection, new: Sequence[RecordedEvent]) -> None:
        """A large batch goes in without the REPLACE guard's three probes a row, put back
        before commit: it stops writers going around the store, and none can write during
        this transaction (whose plain INSERT fails on any conflict by itself)."""
        if len(new) < COPY_ROWS:
            super().insert_events(conn, new)
            return
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS events_no_replace")
        super().insert_events(conn, new)
        conn.exec_driver_sql(SQLITE_INSERT_GUARD)

    def any_present(self, ids: Sequence[tuple[str, bytes]]) -> tuple[str, tuple[Any, ...]]:
        """An IN list of blobs."""
        marks = ", ".join(["?"] * len(ids))
        return (f"SELECT position FROM events WHERE id IN ({marks}) LIMIT 1",
                tuple(key for _, key in ids))

    def month(self, column: Any) -> ColumnElement[str]:
        """Dates are ISO text: the first seven characters."""
        return sa.func.substr(sa.cast(column, sa.String), 1, 7)

    def json_text(self, column: Any, key: str) -> ColumnElement[str]:
        """SQLite's JSON1 `json_extract`."""
        return sa.func.json_extract(column, f"$.{key}")

    def hot_connect(self, engine: Engine) -> Any:
        """A sqlite3 connection with the store's pragmas, usable from the thread that owns it."""
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        conn = engine.dialect.dbapi.connect(  # type: ignore[union-attr]
            *cargs, **{**cparams, "check_same_thread": False})
        _sqlite_on_connect(conn, None)
        return conn

    @staticmethod
    def read_id(value: Any) -> str:
        """Driver rows carry the 16 bytes."""
        return str(UUID(bytes=value))

    @staticmethod
    def read_day(value: Any) -> date | None:
        """Driver rows carry ISO text."""
        return None if value is None else date.fromisoformat(value)

    @staticmethod
    def read_moment(value: Any) -> datetime:
        """Driver rows carry SQLAlchemy's text form, in UTC."""
        return to_utc(datetime.fromisoformat(value))


class PostgresDialect(Dialect):
    """PostgreSQL: an advisory lock, native uuid, date and timestamptz, NOTIFY."""

    name = "postgresql"
    mark = "%s"
    notifies = True
    pipelines = True

    def create_engine(self, url: str, limits: SessionLimits | None = None) -> Engine:
        """No pre-ping: it is a round trip on every checkout; a dead connection fails its
        statement and the pool replaces it. The session limits ride in the URL's `options`,
        so every connection gets them with no extra round trip, the hot path's own too; the
        URL's own options come after them, and so win."""
        parsed = sa.engine.make_url(url)
        given = parsed.query.get("options", "")
        given = " ".join(given) if isinstance(given, tuple) else given
        options = f"{(limits or SessionLimits()).options()} {given}".strip()
        return sa.create_engine(parsed.update_query_dict({"options": options}), pool_size=10,
                                max_overflow=20)

    def lock(self, conn: Connection, key: int = APPEND_LOCK_KEY) -> None:
        """A transaction-scoped advisory lock, shared by every process on the database; Busy
        when `lock_timeout` runs out first (SQLSTATE 55P03): nothing is written, retry."""
        try:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":
                raise
            raise Busy("the log is busy: another writer held it past the lock timeout "
                       "(STANCELINE_PG_LOCK_TIMEOUT); nothing was written, retry") from None

    def named(self, sql: str) -> str:
        """psycopg's `%(name)s`."""
        return re.sub(r":(\w+)", r"%(\1)s", sql)

    def insert(self, conn: Connection, table: str, columns: Sequence[str],
               rows: Sequence[Sequence[Any]]) -> None:
        """COPY for a large batch (a load's): executemany sends a statement per row. Not in
        a pipeline (a small append's), which cannot hold a COPY."""
        if len(rows) < COPY_ROWS or in_pipeline(conn):
            super().insert(conn, table, columns, rows)
            return
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()

    def insert_new(self, conn: Connection, table: sa.Table, columns: Sequence[str],
                   rows: Sequence[Sequence[Any]]) -> None:
        """A large batch as one array per column, unnested by the server in one statement."""
        if len(rows) < COPY_ROWS:
            super().insert_new(conn, table, columns, rows)
            return
        arrays = ", ".join(f"%s::{table.c[c].type.compile(dialect=conn.dialect)}[]"
                           for c in columns)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM "
                             f"unnest({arrays}) ON CONFLICT DO NOTHING",
                             tuple(list(column) for column in zip(*rows, strict=True)))

    def bind_id(self, event_id: str) -> Any:
        """Text; the server casts it to uuid."""
        return event_id

    def bind_day(self, day: date | None) -> Any:
        """Native dates."""
        return day

    def bind_moment(self, moment: datetime | None) -> Any:
        """Native timestamptz."""
        return (moment or FAR_FUTURE).astimezone(UTC)

    def event_rows(self, new: Sequence[RecordedEvent]) -> list[tuple[Any, ...]]:
        """Native values throughout."""
        return [(e.position, e.id, e.stream, e.version, e.type, e.schema_version, e.occurred,
                 e.occurred_start, e.occurred_end, e.precision, e.occurred_text,
                 e.relative_to, e.recorded_at, e.actor, e.topic, e.data_json, e.source_json,
                 e.supersedes, e.disputed, e.note, e.hash, e.prev_hash, e.recorded_by)
                for e in new]

    def any_present(self, ids: Sequence[tuple[str, bytes]]) -> tuple[str, tuple[Any, ...]]:
        """The whole batch as one array."""
        return ("SELECT position FROM events WHERE id = ANY(%s::uuid[]) LIMIT 1",
                ([i for i, _ in ids],))

    def probe_chunk(self, total: int) -> int:
        """One probe for the whole batch."""
        return max(total, 1)

    def month(self, column: Any) -> ColumnElement[str]:
        """`to_char` of the date."""
        return sa.func.to_char(column, "YYYY-MM")

    def json_text(self, column: Any, key: str) -> ColumnElement[str]:
        """`data::json ->> key`."""
        extracted: ColumnElement[str] = sa.cast(column, sa.JSON)[key].as_string()
        return extracted

    def commit(self, conn: Connection) -> None:
        """NOTIFY of the head (delivered at commit to every process listening) and COMMIT in
        one round trip; SQLAlchemy's commit that follows finds nothing to do."""
        pipelined_commit(conn, f"SELECT pg_notify('{NOTIFY_CHANNEL}', "
                               "(SELECT coalesce(max(position), 0) FROM events)::text)")

    def hot_connect(self, engine: Engine) -> Any:
        """A psycopg connection in autocommit: a single statement is its own snapshot."""
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        conn = engine.dialect.dbapi.connect(*cargs, **cparams)  # type: ignore[union-attr]
        conn.autocommit = True
        return conn

    def hot_execute(self, cursor: Any, sql: str, params: dict[str, Any]) -> None:
        """Prepared from its first run: planning the as-of statement costs several times
        what executing it does (~0.4 ms against ~0.1 ms)."""
        cursor.execute(sql, params, prepare=True)

    # psycopg hands back uuid.UUID, dates and aware datetimes, as SQLAlchemy's types do:
    # the Core readers serve its driver rows unchanged.
    read_id = staticmethod(CoreValues.read_id)
    read_day = staticmethod(CoreValues.read_day)
    read_moment = staticmethod(CoreValues.read_moment)


DIALECTS: dict[str, type[Dialect]] = {"sqlite": SqliteDialect, "postgresql": PostgresDialect}


def dialect_for(url: str | sa.URL) -> Dialect:
    """The dialect of a SQLAlchemy URL, by its backend name."""
    backend = sa.make_url(url).get_backend_name()
    if backend not in DIALECTS:
        raise ValueError(f"no Stanceline dialect for {backend!r} (known: {sorted(DIALECTS)})")
    return DIALECTS[backend]()
