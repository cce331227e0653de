"""The SQL store, one class for SQLite and PostgreSQL: the only SQL and the only commits.

An append is one transaction that holds the log's write lock (SQLite: BEGIN IMMEDIATE;
PostgreSQL: a transaction-scoped advisory lock), so positions are gap-free and follow commit
order, and the projection tables change in the same transaction as the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from stanceline.domain.append import Appended, dedupe_batch, plan_append
from stanceline.domain.chain import GENESIS, ChainReport, verify_chain
from stanceline.domain.events import PreparedEvent, RecordedEvent, event_actors, utc_now
from stanceline.domain.names import fold
from stanceline.domain.upcast import upcast
from stanceline.errors import InvalidInput
from stanceline.store.base import EventFilter
from stanceline.store.schema import (
    actor_aliases,
    actors,
    claims,
    event_refs,
    events,
    topics,
    voids,
)

# Any constant will do: it only has to be the same for every process sharing the database.
_APPEND_LOCK_KEY = 0x5374616E6365  # "Stance"
_ID_CHUNK = 500

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
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


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


class SqlEventStore:
    """The event log and its projections in one SQL database (SQLite or PostgreSQL)."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._writer = self.engine.execution_options(stanceline_write=True)
        self._insert = _insert_sql(self.engine.dialect.paramstyle)
        if migrate:
            self.migrate()

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from stanceline.store.migrate import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        """Release every pooled connection."""
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

    def _stream_versions(self, conn: Connection, streams: set[str]) -> dict[str, int]:
        versions: dict[str, int] = {}
        names = sorted(streams)
        for start in range(0, len(names), _ID_CHUNK):
            query = (sa.select(events.c.stream, sa.func.max(events.c.version))
                     .where(events.c.stream.in_(names[start:start + _ID_CHUNK]))
                     .group_by(events.c.stream))
            versions.update({s: v for s, v in conn.execute(query)})
        return versions

    def _head(self, conn: Connection) -> tuple[int, str]:
        row = conn.execute(sa.select(events.c.position, events.c.hash)
                           .order_by(events.c.position.desc()).limit(1)).first()
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

    def _project(self, conn: Connection, new: Sequence[RecordedEvent]) -> None:
        """Update the projection tables for freshly appended events (same transaction)."""
        refs: list[dict[str, Any]] = []
        void_rows: list[dict[str, Any]] = []
        claim_rows: list[dict[str, Any]] = []
        for event in new:
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
        if refs:
            conn.execute(event_refs.insert(), refs)
        if claim_rows:
            conn.execute(claims.insert(), claim_rows)
        if void_rows:
            # The first void of a target decides from when it stops counting.
            conn.execute(self._insert_ignore(voids), void_rows)

    def _insert_ignore(self, table: sa.Table) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()

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
        conn.execute(topics.delete().where(topics.c.topic == data["topic"]))
        conn.execute(topics.insert().values(topic=data["topic"], title=data["title"],
                                            description=data["description"],
                                            position=event.position))

    # -- reads --------------------------------------------------------------------------
    def get(self, event_id: str) -> RecordedEvent | None:
        """One event by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(*EVENT_COLUMNS).where(events.c.id == event_id)).first()
        return None if row is None else row_to_event(row)

    def read(self, flt: EventFilter) -> list[RecordedEvent]:
        """Events matching `flt` in position order, at most `flt.limit` of them."""
        query = sa.select(*EVENT_COLUMNS).where(events.c.position > flt.after)
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
            query = query.where(events.c.recorded_at <= flt.known_at)
        query = query.order_by(events.c.position).limit(flt.limit)
        with self._read() as conn:
            return [row_to_event(r) for r in conn.execute(query)]

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

    def verify(self) -> ChainReport:
        """Walk the whole chain from position 1."""
        return verify_chain(self.iter_all())


def _target(event: RecordedEvent) -> str | None:
    if event.type == "event.retracted":
        return str(event.data["target"])
    return event.supersedes
