"""The SQL store, one class for SQLite and PostgreSQL: the only SQL and the only commits.

An append is one transaction that holds the log's write lock (SQLite: BEGIN IMMEDIATE;
PostgreSQL: a transaction-scoped advisory lock), so positions are gap-free and follow commit
order, and the projection tables change in the same transaction as the log.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from stanceline.domain.append import Appended, dedupe_batch, plan_append
from stanceline.domain.chain import GENESIS, ChainChecker, ChainReport, verify_chain
from stanceline.domain.events import PreparedEvent, RecordedEvent, event_actors, utc_now
from stanceline.domain.names import fold
from stanceline.domain.projections import (
    LONGEST_SPAN,
    STANCE,
    Change,
    Stance,
    changes_of,
    decide,
)
from stanceline.domain.upcast import upcast
from stanceline.errors import InvalidInput
from stanceline.store.base import EventFilter
from stanceline.store.schema import (
    PROJECTION_TABLES,
    actor_aliases,
    actors,
    claims,
    event_refs,
    events,
    stance_pairs,
    topics,
    voids,
)

# Any constant will do: it only has to be the same for every process sharing the database.
_APPEND_LOCK_KEY = 0x5374616E6365  # "Stance"
_ID_CHUNK = 500
NOTIFY_CHANNEL = "stanceline_events"
MAX_HOT_CONNECTIONS = 8
_PAGE = 10_000

EVENT_COLUMNS = (
    events.c.position, events.c.id, events.c.stream, events.c.version, events.c.type,
    events.c.schema_version, events.c.occurred, events.c.occurred_start, events.c.occurred_end,
    events.c.precision, events.c.occurred_text, events.c.relative_to, events.c.recorded_at,
    events.c.data, events.c.source, events.c.supersedes, events.c.disputed, events.c.note,
    events.c.hash, events.c.prev_hash, events.c.actor, events.c.topic,
)


def make_engine(url: str) -> Engine:
    """An engine with the settings each engine needs for a durable, concurrent log."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 60})
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # No pre-ping: it is a round trip on every checkout; a dead connection fails its statement
    # and the pool replaces it.
    return sa.create_engine(url, pool_size=10, max_overflow=20)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transactions out of the driver's hands so that `begin` below decides their kind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Larger pages make index maintenance cheaper; it only takes effect on a new file.
    cursor.execute("PRAGMA page_size=16384")
    # WAL lets readers run beside the writer; FULL makes an acknowledged commit durable.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=60000")
    # Index pages of a large log stay in memory (64 MiB per connection at most).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # Writers take the write lock up front, so reading the head and inserting are one step.
    if conn.get_execution_options().get("stanceline_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def to_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every recording time is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def row_to_event(row: Sequence[Any], *, upcasted: bool = True) -> RecordedEvent:
    """Build an event from a row selected with EVENT_COLUMNS."""
    data = json.loads(row[13])
    schema_version = row[5]
    if upcasted:
        schema_version, data = upcast(row[4], schema_version, data)
    return RecordedEvent(
        position=row[0], id=row[1], stream=row[2], version=row[3], type=row[4],
        schema_version=schema_version, occurred=row[6], occurred_start=row[7],
        occurred_end=row[8], precision=row[9], occurred_text=row[10], relative_to=row[11],
        recorded_at=to_utc(row[12]), data=data,
        source=None if row[14] is None else json.loads(row[14]), supersedes=row[15],
        disputed=bool(row[16]), note=row[17], data_json=row[13], source_json=row[14],
        hash=row[18], prev_hash=row[19], actor=row[20], topic=row[21],
    )


_INSERT_COLUMNS = (
    "position", "id", "stream", "version", "type", "schema_version", "occurred",
    "occurred_start", "occurred_end", "precision", "occurred_text", "relative_to",
    "recorded_at", "actor", "topic", "data", "source", "supersedes", "disputed", "note", "hash",
    "prev_hash",
)


def _insert_sql(paramstyle: str) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    return (f"INSERT INTO events ({', '.join(_INSERT_COLUMNS)}) "
            f"VALUES ({', '.join([mark] * len(_INSERT_COLUMNS))})")


def _event_rows(new: Sequence[RecordedEvent], dialect: str) -> list[tuple[Any, ...]]:
    """Rows for the driver's executemany: the append's hot path skips SQLAlchemy's binding."""
    if dialect == "sqlite":
        # The text forms SQLAlchemy's Date/DateTime use on SQLite, so its reads parse them.
        stamp: Any = new[0].recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return [(e.position, e.key or UUID(e.id).bytes, e.stream, e.version, e.type,
                 e.schema_version, e.occurred,
                 None if e.occurred_start is None else e.occurred_start.isoformat(),
                 None if e.occurred_end is None else e.occurred_end.isoformat(),
                 e.precision, e.occurred_text, e.relative_to, stamp, e.actor, e.topic,
                 e.data_json, e.source_json,
                 None if e.supersedes is None else UUID(e.supersedes).bytes, e.disputed,
                 e.note, e.hash, e.prev_hash) for e in new]
    return [(e.position, e.id, e.stream, e.version, e.type, e.schema_version, e.occurred,
             e.occurred_start, e.occurred_end, e.precision, e.occurred_text, e.relative_to,
             e.recorded_at, e.actor, e.topic, e.data_json, e.source_json, e.supersedes,
             e.disputed, e.note, e.hash, e.prev_hash) for e in new]


_FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
_FAR_FUTURE_TEXT = _FAR_FUTURE.strftime("%Y-%m-%d %H:%M:%S.%f")


def _actor_dict(row: sa.RowMapping) -> dict[str, Any]:
    return {"actor": row["actor"], "name": row["name"], "kind": row["kind"],
            "aliases": json.loads(row["aliases"]), "represents": row["represents"],
            "members": json.loads(row["members"])}


def _stance_raw_sql(dialect: str) -> str:
    """The as-of statement, in the driver's own parameter style (named on both engines)."""
    columns = ", ".join(f"e.{c.name}" for c in EVENT_COLUMNS)
    outer = ", ".join(c.name for c in EVENT_COLUMNS)
    counting = ("e.type = 'stance.declared' AND e.actor = :actor AND e.topic = :topic "
                "AND e.occurred_start <= :v AND e.recorded_at <= :k AND NOT EXISTS "
                "(SELECT 1 FROM voids x WHERE x.target = e.id AND x.void_at <= :k)")
    sql = (f"SELECT {outer} FROM (SELECT {columns} FROM events e WHERE {counting} "
           "AND e.occurred_end <= :v ORDER BY e.occurred_start DESC, e.position DESC LIMIT 1) d "
           f"UNION ALL SELECT {columns} FROM events e WHERE {counting} "
           "AND e.occurred_start > :window AND e.occurred_end > :v")
    return re.sub(r":(\w+)", r"%(\1)s", sql) if dialect == "postgresql" else sql


class HotReads:
    """Per-thread autocommit driver connections for the hottest reads.

    Borrowing from the pool and wrapping a read in BEGIN/ROLLBACK costs more than the as-of
    query itself (~40 us on SQLite, two round trips on PostgreSQL); a single statement needs
    neither. The connections are the store's own, outside the pool that writers use.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _connection(self) -> Any | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                # A few threads answer most reads (the event loop, a handful of pool threads);
                # past that, threads share the pool rather than each holding a connection.
                if len(self._all) >= MAX_HOT_CONNECTIONS:
                    return None
            cargs, cparams = self._engine.dialect.create_connect_args(self._engine.url)
            if self._dialect == "sqlite":
                cparams = {**cparams, "check_same_thread": False}
            conn = self._engine.dialect.dbapi.connect(*cargs, **cparams)  # type: ignore[union-attr]
            if self._dialect == "sqlite":
                _sqlite_on_connect(conn, None)
            else:
                conn.autocommit = True
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def fetch(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """Run one read statement; a broken connection is replaced once."""
        for attempt in (1, 2):
            conn = self._connection()
            if conn is None:
                with self._engine.connect() as pooled:
                    return list(pooled.exec_driver_sql(sql, params).all())
            try:
                cursor = conn.cursor()
                try:
                    cursor.execute(sql, params)
                    return list(cursor.fetchall())
                finally:
                    cursor.close()
            except Exception:
                self._local.conn = None
                with self._lock:
                    self._all.remove(conn)
                with contextlib.suppress(Exception):
                    conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def event(self, row: Sequence[Any]) -> RecordedEvent:
        """An event from a driver row of EVENT_COLUMNS (what SQLAlchemy's types would do)."""
        if self._dialect != "sqlite":
            values = list(row)
            values[1] = str(values[1])
            if values[15] is not None:
                values[15] = str(values[15])
            return row_to_event(values)
        values = list(row)
        values[1] = str(UUID(bytes=values[1]))
        if values[15] is not None:
            values[15] = str(UUID(bytes=values[15]))
        for i in (7, 8):
            if values[i] is not None:
                values[i] = date.fromisoformat(values[i])
        values[12] = datetime.fromisoformat(values[12])
        return row_to_event(values)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()


class SqlEventStore:
    """The event log and its projections in one SQL database (SQLite or PostgreSQL)."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._writer = self.engine.execution_options(stanceline_write=True)
        self._insert = _insert_sql(self.engine.dialect.paramstyle)
        self._mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        self._stance_raw = _stance_raw_sql(self.dialect)
        self._hot = HotReads(self.engine)
        if migrate:
            self.migrate()

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from stanceline.store.migrate import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        """Release every connection."""
        self._hot.close()
        self.engine.dispose()

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK_KEY})
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # -- append -------------------------------------------------------------------------
    def append(
        self, batch: Sequence[PreparedEvent], expect: Mapping[str, int] | None = None
    ) -> list[Appended]:
        """Append a batch in one transaction (see the module docstring for the locking)."""
        unique = dedupe_batch(batch)
        if not unique:
            return []
        with self._write() as conn:
            stored = self._events_by_id(conn, unique)
            streams = {e.stream for e in unique} | set(expect or {})
            versions = self._stream_versions(conn, streams)
            head_position, head_hash = self._head(conn)
            plan = plan_append(unique, stored, versions, expect or {}, head_position, head_hash,
                               utc_now())
            if plan.new:
                self._check_targets(conn, plan.new)
                conn.exec_driver_sql(self._insert, _event_rows(plan.new, self.dialect))
                self._project(conn, plan.new)
                if self.dialect == "postgresql":
                    # Delivered at commit, to every process listening on this database.
                    conn.exec_driver_sql(f"SELECT pg_notify('{NOTIFY_CHANNEL}', %s)",
                                         (str(plan.new[-1].position),))
        return plan.answer

    def _events_by_id(self, conn: Connection, batch: Sequence[PreparedEvent]
                      ) -> dict[str, RecordedEvent]:
        """The events of `batch` already in the log (a replay), looked up by their ids."""
        present: list[str] = []
        # The common case is that none is present: one cheap probe per chunk, on the driver.
        # PostgreSQL takes the whole batch as one array; SQLite caps a statement's parameters.
        step = len(batch) if self.dialect == "postgresql" else _ID_CHUNK
        for start in range(0, len(batch), step):
            chunk = batch[start:start + step]
            if self.dialect == "postgresql":
                probe = conn.exec_driver_sql(
                    "SELECT position FROM events WHERE id = ANY(%s::uuid[])",
                    ([e.id for e in chunk],))
            else:
                marks = ", ".join(["?"] * len(chunk))
                probe = conn.exec_driver_sql(
                    f"SELECT position FROM events WHERE id IN ({marks})",
                    tuple(e.key for e in chunk))
            if probe.first() is not None:
                present.extend(e.id for e in chunk)
        found: dict[str, RecordedEvent] = {}
        for start in range(0, len(present), _ID_CHUNK):
            query = sa.select(*EVENT_COLUMNS).where(
                events.c.id.in_(present[start:start + _ID_CHUNK]))
            for row in conn.execute(query):
                found[row[1]] = row_to_event(row, upcasted=False)
        return found

    # The statements of every append go straight to the driver: SQLAlchemy's statement
    # machinery costs ~40 us each, a third of a single durable append besides its fsync.
    def _stream_versions(self, conn: Connection, streams: set[str]) -> dict[str, int]:
        versions: dict[str, int] = {}
        names = sorted(streams)
        for start in range(0, len(names), _ID_CHUNK):
            chunk = names[start:start + _ID_CHUNK]
            marks = ", ".join([self._mark] * len(chunk))
            versions.update(conn.exec_driver_sql(
                f"SELECT stream, MAX(version) FROM events WHERE stream IN ({marks}) "
                "GROUP BY stream", tuple(chunk)).all())
        return versions

    def _head(self, conn: Connection) -> tuple[int, str]:
        row = conn.exec_driver_sql(
            "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1").first()
        return (0, GENESIS) if row is None else (row[0], row[1])

    def _check_targets(self, conn: Connection, new: Sequence[RecordedEvent]) -> None:
        """Retractions and corrections must point at an event already in the log."""
        targets = {t for e in new if (t := _target(e)) is not None} - {e.id for e in new}
        if not targets:
            return
        known = {r[0] for r in conn.execute(
            sa.select(events.c.id).where(events.c.id.in_(sorted(targets))))}
        missing = sorted(targets - known)
        if missing:
            raise InvalidInput(f"no event with id {missing[0]} to retract or supersede",
                               [{"path": "supersedes", "message": f"unknown event {missing[0]}"}])

    def rebuild(self) -> int:
        """Recompute every projection table from the log, in one transaction."""
        with self._write() as conn:
            for table in PROJECTION_TABLES:
                conn.execute(table.delete())
            # The stance matrix rows are one set-based statement; the stance rows themselves
            # need nothing (the as-of index is on the log).
            conn.exec_driver_sql(
                "INSERT INTO stance_pairs (topic, actor) SELECT DISTINCT topic, actor "
                "FROM events WHERE type = 'stance.declared'")
            # Everything else goes through the same code as an append, reading only the events
            # that project something more than their stance pair.
            needed = sa.or_(events.c.type != STANCE, events.c.supersedes.is_not(None),
                            events.c.data.like('%"speaker":"%'))
            after = 0
            while True:
                rows = conn.execute(sa.select(*EVENT_COLUMNS)
                                    .where(events.c.position > after, needed)
                                    .order_by(events.c.position).limit(_PAGE)).all()
                if not rows:
                    break
                self._project(conn, [row_to_event(r, upcasted=False) for r in rows],
                              pairs=False)
                after = rows[-1][0]
            return self._head(conn)[0]

    def import_events(self, recorded: Iterable[RecordedEvent]) -> int:
        """Restore an exported log into this empty store, row for row (positions, times and
        hashes kept); the chain is checked as it goes, and nothing is kept if it breaks."""
        count = 0
        with self._write() as conn:
            if self._head(conn)[0] != 0:
                raise InvalidInput("import needs an empty store: this one already has events")
            checker = ChainChecker()
            batch: list[RecordedEvent] = []
            for event in recorded:
                checker.check(event)
                batch.append(event)
                if len(batch) >= _PAGE:
                    self._insert_recorded(conn, batch)
                    count += len(batch)
                    batch = []
            if batch:
                self._insert_recorded(conn, batch)
                count += len(batch)
        return count

    def _insert_recorded(self, conn: Connection, batch: Sequence[RecordedEvent]) -> None:
        # One recording time per statement on SQLite's text form: group runs that share it.
        start = 0
        while start < len(batch):
            end = start
            while end < len(batch) and batch[end].recorded_at == batch[start].recorded_at:
                end += 1
            conn.exec_driver_sql(self._insert, _event_rows(batch[start:end], self.dialect))
            start = end
        self._project(conn, batch)

    def _project(self, conn: Connection, new: Sequence[RecordedEvent], *,
                 pairs: bool = True) -> None:
        """Update the projection tables for freshly appended events (same transaction)."""
        refs: list[dict[str, Any]] = []
        void_rows: list[dict[str, Any]] = []
        claim_rows: list[dict[str, Any]] = []
        stance_rows: set[tuple[str, str]] = set()
        for event in new:
            if pairs and event.type == "stance.declared":
                stance_rows.add((str(event.topic), str(event.actor)))
            for actor in event_actors(event):
                refs.append({"actor": actor, "position": event.position})
            target = _target(event)
            if target is not None:
                void_rows.append({"target": target, "by_id": event.id,
                                  "void_at": event.recorded_at})
            if event.type == "claim.made":
                claim_rows.append({"position": event.position, "subject": event.data["subject"],
                                   "occurred_start": event.occurred_start})
            elif event.type == "actor.registered":
                self._register_actor(conn, event)
            elif event.type == "topic.defined":
                self._define_topic(conn, event)
        m = self._mark
        if refs:
            conn.exec_driver_sql(f"INSERT INTO event_refs (actor, position) VALUES ({m}, {m})",
                                 [(r["actor"], r["position"]) for r in refs])
        if claim_rows:
            conn.exec_driver_sql(
                f"INSERT INTO claims (position, subject, occurred_start) VALUES ({m}, {m}, {m})",
                [(r["position"], r["subject"], self._day_param(r["occurred_start"]))
                 for r in claim_rows])
        if void_rows:
            # The first void of a target decides from when it stops counting.
            conn.exec_driver_sql(
                f"INSERT INTO voids (target, by_id, void_at) VALUES ({m}, {m}, {m}) "
                "ON CONFLICT DO NOTHING",
                [(self._id_param(r["target"]), self._id_param(r["by_id"]),
                  self._moment_text(r["void_at"])) for r in void_rows])
        if stance_rows:
            conn.exec_driver_sql(
                f"INSERT INTO stance_pairs (topic, actor) VALUES ({m}, {m}) "
                "ON CONFLICT DO NOTHING", sorted(stance_rows))

    def _id_param(self, event_id: str) -> Any:
        return UUID(event_id).bytes if self.dialect == "sqlite" else event_id

    def _day_param(self, day: date | None) -> Any:
        return None if day is None else self._day(day)

    def _register_actor(self, conn: Connection, event: RecordedEvent) -> None:
        data = event.data
        actor = data["actor"]
        conn.execute(actors.delete().where(actors.c.actor == actor))
        conn.execute(actor_aliases.delete().where(actor_aliases.c.actor == actor))
        conn.execute(actors.insert().values(
            actor=actor, name=data["name"], kind=data["kind"],
            aliases=json.dumps(data["aliases"], ensure_ascii=False),
            members=json.dumps(data["members"]), represents=data["represents"],
            position=event.position))
        names = {fold(n) for n in (actor, data["name"], *data["aliases"])} - {""}
        conn.execute(actor_aliases.insert(), [{"alias": n, "actor": actor} for n in sorted(names)])

    def _define_topic(self, conn: Connection, event: RecordedEvent) -> None:
        data = event.data
        # A redefinition keeps the topic's place: topics list in order of first definition.
        first = conn.execute(sa.select(topics.c.position)
                             .where(topics.c.topic == data["topic"])).scalar()
        conn.execute(topics.delete().where(topics.c.topic == data["topic"]))
        conn.execute(topics.insert().values(topic=data["topic"], title=data["title"],
                                            description=data["description"],
                                            position=first or event.position))

    # -- reads --------------------------------------------------------------------------
    def get(self, event_id: str) -> RecordedEvent | None:
        """One event by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(*EVENT_COLUMNS).where(events.c.id == event_id)).first()
        return None if row is None else row_to_event(row)

    def read(self, flt: EventFilter) -> list[RecordedEvent]:
        """Events matching `flt` in position order, at most `flt.limit` of them."""
        query = self._filtered(sa.select(*EVENT_COLUMNS), flt)
        query = query.order_by(events.c.position).limit(flt.limit)
        with self._read() as conn:
            return [row_to_event(r) for r in conn.execute(query)]

    def count(self, flt: EventFilter) -> int:
        """How many events match a filter."""
        query = self._filtered(sa.select(sa.func.count()).select_from(events),
                               EventFilter(**{**_fields(flt), "after": 0}))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def buckets(self, flt: EventFilter) -> list[tuple[str, str, str, int]]:
        """Matching dated events counted by (actor, month, stance or type), in the database."""
        if self.dialect == "sqlite":
            month = sa.func.substr(sa.cast(events.c.occurred_start, sa.String), 1, 7)
            stance = sa.func.json_extract(events.c.data, "$.stance")
        else:
            month = sa.func.to_char(events.c.occurred_start, "YYYY-MM")
            stance = sa.cast(events.c.data, sa.JSON)["stance"].as_string()
        kind = sa.func.coalesce(stance, events.c.type)
        lane = sa.func.coalesce(events.c.actor, "")
        query = self._filtered(sa.select(lane, month, kind, sa.func.count()), flt).where(
            events.c.occurred_start.is_not(None)).group_by(lane, month, kind)
        with self._read() as conn:
            return sorted((str(a), str(m), str(k), int(n)) for a, m, k, n in conn.execute(query))

    def _filtered(self, query: sa.Select[Any], flt: EventFilter) -> sa.Select[Any]:
        query = query.where(events.c.position > flt.after)
        if flt.actor is not None:
            named = sa.select(event_refs.c.position).where(event_refs.c.actor == flt.actor)
            as_stance = sa.and_(events.c.type == "stance.declared", events.c.actor == flt.actor)
            query = query.where(sa.or_(as_stance, events.c.position.in_(named)))
        if flt.topic is not None:
            query = query.where(events.c.topic == flt.topic)
        if flt.type is not None:
            query = query.where(events.c.type == flt.type)
        if flt.occurred_from is not None:
            query = query.where(events.c.occurred_end >= flt.occurred_from)
        if flt.occurred_to is not None:
            query = query.where(events.c.occurred_start <= flt.occurred_to)
        if flt.known_at is not None:
            query = query.where(events.c.recorded_at <= self._moment(flt.known_at))
        return query

    def iter_all(self, after: int = 0) -> Iterator[RecordedEvent]:
        """Every event after `after` as stored, fetched in pages so memory stays flat."""
        page = 5_000
        while True:
            query = (sa.select(*EVENT_COLUMNS).where(events.c.position > after)
                     .order_by(events.c.position).limit(page))
            with self._read() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                yield row_to_event(row, upcasted=False)
            if len(rows) < page:
                return
            after = rows[-1][0]

    def head(self) -> int:
        """The last position (0 for an empty log)."""
        with self._read() as conn:
            return self._head(conn)[0]

    # -- projections --------------------------------------------------------------------
    def _day(self, day: date) -> Any:
        # SQLite keeps dates as ISO text; binding text avoids the driver's deprecated adapters.
        return day.isoformat() if self.dialect == "sqlite" else day

    def _moment(self, moment: datetime | None) -> datetime:
        """A bound for `recorded_at` in Core expressions (whose types format it per engine)."""
        return (moment or _FAR_FUTURE).astimezone(UTC)

    def _moment_text(self, moment: datetime | None) -> Any:
        """The same bound for raw SQL: SQLite compares the text SQLAlchemy stores."""
        if self.dialect == "sqlite":
            if moment is None:
                return _FAR_FUTURE_TEXT
            return self._moment(moment).strftime("%Y-%m-%d %H:%M:%S.%f")
        return self._moment(moment)

    def stance(self, actor: str, topic: str, as_of: date,
               known_at: datetime | None = None) -> Stance:
        """One indexed probe for the deciding stance, one short range for those in progress.

        The hot read of the service: one statement on this thread's own autocommit driver
        connection (no pool checkout, no BEGIN/ROLLBACK), a consistent snapshot by itself.
        """
        params = {"actor": actor, "topic": topic, "v": self._day(as_of),
                  "window": self._day(as_of - LONGEST_SPAN), "k": self._moment_text(known_at)}
        rows = self._hot.fetch(self._stance_raw, params)
        decider: RecordedEvent | None = None
        maybes: list[RecordedEvent] = []
        for row in rows:
            event = self._hot.event(row)
            if event.occurred_end is not None and event.occurred_end <= as_of:
                decider = event
            else:
                maybes.append(event)
        return decide(actor, topic, as_of, decider, maybes)

    def stance_pairs(self, actor: str | None = None,
                     topic: str | None = None) -> list[tuple[str, str]]:
        """Every (actor, topic) with a stance event."""
        query = sa.select(stance_pairs.c.actor, stance_pairs.c.topic)
        if actor is not None:
            query = query.where(stance_pairs.c.actor == actor)
        if topic is not None:
            query = query.where(stance_pairs.c.topic == topic)
        with self._read() as conn:
            return sorted((a, t) for a, t in conn.execute(query))

    def history(self, actor: str, topic: str, known_at: datetime | None = None) -> list[Change]:
        """Each change of stance of `actor` on `topic`, known at `known_at`."""
        query = (self._counting(known_at)
                 .where(events.c.type == STANCE, events.c.actor == actor,
                        events.c.topic == topic)
                 .order_by(events.c.occurred_start, events.c.position))
        with self._read() as conn:
            return changes_of([row_to_event(r) for r in conn.execute(query)])

    def changed_pairs(self, start: date, end: date, topic: str | None = None,
                      known_at: datetime | None = None) -> list[tuple[str, str]]:
        """The pairs whose stance may differ between two dates: those with a stance event
        that does not count with certainty at `start` but may at `end`."""
        query = (sa.select(events.c.actor, events.c.topic).distinct()
                 .where(events.c.type == STANCE, events.c.occurred_start <= end,
                        events.c.occurred_end > start,
                        events.c.recorded_at <= self._moment(known_at)))
        if topic is not None:
            query = query.where(events.c.topic == topic)
        with self._read() as conn:
            return sorted((a, t) for a, t in conn.execute(query))

    def claims(self, subject: str | None, as_of: date | None,
               known_at: datetime | None = None) -> list[RecordedEvent]:
        """Claims about `subject` (or all) dated on or before `as_of`, in date order."""
        query = self._counting(known_at).join(claims, claims.c.position == events.c.position)
        if subject is not None:
            query = query.where(claims.c.subject == subject)
        if as_of is not None:
            query = query.where(claims.c.occurred_start <= as_of)
        query = query.order_by(claims.c.occurred_start, events.c.position)
        with self._read() as conn:
            return [row_to_event(r) for r in conn.execute(query)]

    def _counting(self, known_at: datetime | None) -> sa.Select[Any]:
        """Events known at `known_at` and not retracted or superseded by then."""
        moment = self._moment(known_at)
        voided = sa.select(voids.c.target).where(voids.c.target == events.c.id,
                                                 voids.c.void_at <= moment)
        return sa.select(*EVENT_COLUMNS).where(events.c.recorded_at <= moment,
                                               ~sa.exists(voided))

    def actors(self, q: str | None = None) -> list[dict[str, Any]]:
        """The actor directory; `q` matches names and aliases, ignoring case and accents."""
        query = sa.select(actors)
        if q:
            needle = f"%{fold(q)}%"
            matching = sa.select(actor_aliases.c.actor).where(actor_aliases.c.alias.like(needle))
            query = query.where(actors.c.actor.in_(matching))
        with self._read() as conn:
            rows = conn.execute(query.order_by(actors.c.kind, actors.c.name)).mappings().all()
        return [_actor_dict(r) for r in rows]

    def actor(self, actor: str) -> dict[str, Any] | None:
        """One registered actor."""
        with self._read() as conn:
            row = conn.execute(sa.select(actors).where(actors.c.actor == actor)).mappings().first()
        return None if row is None else _actor_dict(row)

    def resolve(self, name: str) -> list[str]:
        """The actor ids a name or alias stands for (exact after folding)."""
        with self._read() as conn:
            return sorted(r[0] for r in conn.execute(
                sa.select(actor_aliases.c.actor).where(actor_aliases.c.alias == fold(name))))

    def topics(self) -> list[dict[str, Any]]:
        """Every defined topic."""
        with self._read() as conn:
            rows = conn.execute(sa.select(topics.c.topic, topics.c.title, topics.c.description)
                                .order_by(topics.c.position)).mappings().all()
        return [dict(r) for r in rows]

    def verify(self) -> ChainReport:
        """Walk the whole chain from position 1."""
        return verify_chain(self.iter_all())


def _fields(flt: EventFilter) -> dict[str, Any]:
    return {f: getattr(flt, f) for f in EventFilter.__dataclass_fields__}


def _target(event: RecordedEvent) -> str | None:
    if event.type == "event.retracted":
        return str(event.data["target"])
    return event.supersedes
