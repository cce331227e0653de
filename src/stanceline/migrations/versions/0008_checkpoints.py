"""Signed checkpoints (issue 14.2): `checkpoints` keeps every checkpoint of the head the service
signed (position, hash, time, public key, Ed25519 signature). It is not an event projection:
rebuild leaves it alone, and no stored row of the log changes.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the table."""
    op.create_table(
        "checkpoints",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("public_key", sa.String(64), primary_key=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("checkpoints")
