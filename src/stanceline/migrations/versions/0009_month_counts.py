"""The month_counts projection (issue 13.5): the timeline's counts per scope, lane, month and
kind, and per scope and lane, kept at append so the page of a large log groups nothing per
request; filled from the log here, one statement per table.

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stanceline.store.dialect import dialect_for
from stanceline.store.projections import months

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables and count the existing log into them."""
    op.create_table(
        "month_counts",
        sa.Column("scope", sa.String(90), primary_key=True),
        sa.Column("lane", sa.String(80), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("type", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "lane_counts",
        sa.Column("scope", sa.String(90), primary_key=True),
        sa.Column("lane", sa.String(80), primary_key=True),
        sa.Column("type", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    months.fill(bind, dialect_for(bind.engine.url))


def downgrade() -> None:
    """Drop them."""
    op.drop_table("lane_counts")
    op.drop_table("month_counts")
