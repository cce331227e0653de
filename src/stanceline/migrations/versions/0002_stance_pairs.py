"""The stance_pairs projection: every (actor, topic) with a stance, for the stance matrix.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table and fill it from the log."""
    op.create_table(
        "stance_pairs",
        sa.Column("topic", sa.String(80), primary_key=True),
        sa.Column("actor", sa.String(80), primary_key=True),
    )
    op.execute("INSERT INTO stance_pairs (topic, actor) SELECT DISTINCT topic, actor "
               "FROM events WHERE type = 'stance.declared'")


def downgrade() -> None:
    """Drop it."""
    op.drop_table("stance_pairs")
