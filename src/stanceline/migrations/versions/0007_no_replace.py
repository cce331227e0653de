"""The guards close their holes (issue 14.3): on SQLite, `INSERT OR REPLACE` (and `REPLACE`, or
an upsert) into `events` deletes the row it conflicts with without firing the delete trigger.
A BEFORE INSERT trigger refuses any insert that meets an existing row, so no conflict
resolution can run. PostgreSQL has no REPLACE: nothing changes there.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

from stanceline.store.schema import SQLITE_INSERT_GUARD

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the insert guard on SQLite (a fresh database has it from 0001 already)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_INSERT_GUARD)


def downgrade() -> None:
    """Drop it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_replace")
