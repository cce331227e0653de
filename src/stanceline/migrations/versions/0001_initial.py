"""The event log, its append-only guards and the projection tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stanceline.store.schema import POSTGRES_GUARDS, SQLITE_GUARDS, EventId

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table, index and guard of schema version 1."""
    op.create_table(
        "events",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
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
    stance = sa.text("type = 'stance.declared'")
    op.create_index("ix_events_stance_asof", "events",
                    ["actor", "topic", "occurred_start", "position"],
                    sqlite_where=stance, postgresql_where=stance)
    op.create_table(
        "event_refs",
        sa.Column("actor", sa.String(80), primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
    )
    op.create_table(
        "voids",
        sa.Column("target", EventId, primary_key=True),
        sa.Column("by_id", EventId, nullable=False),
        sa.Column("void_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "actors",
        sa.Column("actor", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("aliases", sa.Text, nullable=False),
        sa.Column("members", sa.Text, nullable=False),
        sa.Column("represents", sa.String(80)),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "actor_aliases",
        sa.Column("alias", sa.String(300), primary_key=True),
        sa.Column("actor", sa.String(80), primary_key=True),
    )
    op.create_table(
        "topics",
        sa.Column("topic", sa.String(80), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "claims",
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("occurred_start", sa.Date),
    )
    op.create_index("ix_claims_subject", "claims", ["subject", "occurred_start", "position"])
    guards = POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    """Drop everything (the guards go with the table)."""
    for table in ("claims", "topics", "actor_aliases", "actors", "voids", "event_refs",
                  "events"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS stanceline_events_append_only()")
