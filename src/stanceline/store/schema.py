"""The tables: the insert-only event log and the projection tables kept beside it.

Alembic's migrations create these; this module is what the store's queries are written against.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

metadata = sa.MetaData()


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
    sa.Column("occurred", sa.String(10)),
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

# Every actor an event names, except the main actor of a stance (the as-of index covers those):
# the actor filter of the log reads this and that index, and the log needs no actor index.
event_refs = sa.Table(
    "event_refs",
    metadata,
    sa.Column("actor", sa.String(80), primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True),
)

# Events retracted or superseded, and from which recording time on.
voids = sa.Table(
    "voids",
    metadata,
    sa.Column("target", EventId, primary_key=True),
    sa.Column("by_id", EventId, nullable=False),
    sa.Column("void_at", sa.DateTime(timezone=True), nullable=False),
)

actors = sa.Table(
    "actors",
    metadata,
    sa.Column("actor", sa.String(80), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("aliases", sa.Text, nullable=False),
    sa.Column("members", sa.Text, nullable=False),
    sa.Column("represents", sa.String(80)),
    sa.Column("position", sa.BigInteger, nullable=False),
)

# Normalised (case- and accent-folded) names and aliases -> actor.
actor_aliases = sa.Table(
    "actor_aliases",
    metadata,
    sa.Column("alias", sa.String(300), primary_key=True),
    sa.Column("actor", sa.String(80), primary_key=True),
)

topics = sa.Table(
    "topics",
    metadata,
    sa.Column("topic", sa.String(80), primary_key=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("subject", sa.String(80), nullable=False),
    sa.Column("occurred_start", sa.Date),
)
sa.Index("ix_claims_subject", claims.c.subject, claims.c.occurred_start, claims.c.position)

# Every (actor, topic) with a stance event: the rows of the stance matrix.
stance_pairs = sa.Table(
    "stance_pairs",
    metadata,
    sa.Column("topic", sa.String(80), primary_key=True),
    sa.Column("actor", sa.String(80), primary_key=True),
)

PROJECTION_TABLES = (event_refs, voids, actors, actor_aliases, topics, claims, stance_pairs)

# The database itself refuses to change or remove a row of the log.
SQLITE_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
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
