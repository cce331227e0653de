"""What gets in (issue 11): who recorded each event, the documents, and the registry's index.

- `events.recorded_by`: the name of the write token that appended the event (nullable: events
  recorded before names existed have none; the chain covers it when set).
- `documents`: the registered sources (metadata and the position of the registering event;
  the text stays in that event alone), and `citations`: which events cite each document.
- `ix_events_topic_registry`: a partial index on the (rare) topic registry events, so the
  directory recomputes a topic from its remaining events without scanning the log.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TOPIC_REGISTRY = "type IN ('topic.defined', 'topic.updated')"


def upgrade() -> None:
    """Add the column, the tables (filled from the log) and the index."""
    # A nullable column with no default: both engines add it without rewriting the table,
    # and no stored row changes (the append-only guards stay untouched).
    op.add_column("events", sa.Column("recorded_by", sa.String(80)))
    op.create_table(
        "documents",
        sa.Column("document", sa.String(200), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("publisher", sa.String(300)),
        sa.Column("url", sa.Text),
        sa.Column("published", sa.String(10)),
        sa.Column("language", sa.String(20)),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "citations",
        sa.Column("document", sa.String(200), primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
    )
    op.create_index("ix_events_topic_registry", "events", ["topic", "position"],
                    sqlite_where=sa.text(TOPIC_REGISTRY),
                    postgresql_where=sa.text(TOPIC_REGISTRY))


def downgrade() -> None:
    """Drop them (SQLite keeps the column: dropping it would rewrite the log)."""
    op.drop_index("ix_events_topic_registry", "events")
    op.drop_table("citations")
    op.drop_table("documents")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("events", "recorded_by")
