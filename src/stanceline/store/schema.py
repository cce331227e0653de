"""The insert-only event log, and the MetaData every table shares.

Each projection's tables live in its own module (store/projections/); they register on this
MetaData, Core and SQLModel tables alike, so Alembic compares one schema. The migrations
create the tables; these definitions are what the store's queries are written against.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

metadata = sa.MetaData()


class Record(SQLModel):
    """Base of the SQLModel tables (the directory): they share the Core tables' MetaData."""

    metadata = metadata


class EventId(sa.types.TypeDecorator[str]):
    """A UUID: 16 bytes on SQLite (a smaller, faster unique index), `uuid` on PostgreSQL."""

    impl = sa.Uuid
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """BLOB(16) on SQLite, the native type elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.LargeBinary(16))
        return dialect.type_descriptor(sa.Uuid(as_uuid=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Text in, the engine's form out."""
        if value is None:
            return None
        parsed = uuid.UUID(str(value))
        return parsed.bytes if dialect.name == "sqlite" else parsed

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """The canonical text form, whatever the engine stores."""
        if value is None:
            return None
        if isinstance(value, bytes):
            return str(uuid.UUID(bytes=value))
        return str(value)


events = sa.Table(
    "events",
    metadata,
    # On SQLite an INTEGER primary key is the rowid itself: no second index to write.
    sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
              primary_key=True, autoincrement=False),
    sa.Column("id", EventId, nullable=False, unique=True),
    sa.Column("stream", sa.String(120), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("occurred", sa.String(16)),
    sa.Column("occurred_start", sa.Date),
    sa.Column("occurred_end", sa.Date),
    sa.Column("precision", sa.String(5)),
    sa.Column("occurred_text", sa.Text),
    sa.Column("relative_to", sa.String(200)),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(80)),
    sa.Column("topic", sa.String(80)),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("supersedes", EventId),
    sa.Column("disputed", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("recorded_by", sa.String(80)),
    sa.UniqueConstraint("stream", "version", name="uq_events_stream_version"),
)
# The as-of index: the latest stance of (actor, topic) on or before a date is one index probe;
# `occurred_end` rides along so telling a finished span from one in progress reads no row.
sa.Index(
    "ix_events_stance_asof",
    events.c.actor, events.c.topic, events.c.occurred_start, events.c.position,
    events.c.occurred_end,
    sqlite_where=events.c.type == "stance.declared",
    postgresql_where=events.c.type == "stance.declared",
)

# The database itself refuses to change or remove a row of the log.
SQLITE_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
    SQLITE_INSERT_GUARD := (
        # `INSERT OR REPLACE`, `REPLACE` and an upsert resolve a uniqueness conflict by
        # deleting the old row without firing the delete trigger: refuse any insert that
        # would meet a row already there (its position, id, or stream and version), so no
        # conflict resolution ever runs. Three index probes per row, on the append path.
        "CREATE TRIGGER IF NOT EXISTS events_no_replace BEFORE INSERT ON events "
        "WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position) "
        "OR EXISTS (SELECT 1 FROM events WHERE id = NEW.id) "
        "OR EXISTS (SELECT 1 FROM events WHERE stream = NEW.stream AND version = NEW.version) "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only: an insert over an existing row "
        "(REPLACE) refused'); END"),
)
POSTGRES_GUARDS = (
    """CREATE OR REPLACE FUNCTION stanceline_events_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'events are append-only: % refused', TG_OP; END;
    $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION stanceline_events_append_only()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION stanceline_events_append_only()",
)

# The topic registry's events, for recomputing one topic from what remains of them (actors
# are found through event_refs, which already names every actor an event registers).
# Literal SQL, in the index and in the queries alike: SQLite uses a partial index only for a
# query whose WHERE repeats the index's condition with constants, not bound parameters.
TOPIC_REGISTRY = sa.text("type IN ('topic.defined', 'topic.updated')")
IS_STANCE = sa.text("type = 'stance.declared'")
sa.Index("ix_events_topic_registry", events.c.topic, events.c.position,
         sqlite_where=TOPIC_REGISTRY, postgresql_where=TOPIC_REGISTRY)
