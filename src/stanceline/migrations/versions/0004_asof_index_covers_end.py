"""The as-of index also holds `occurred_end`, so the in-progress check reads no table row.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_STANCE = sa.text("type = 'stance.declared'")


def upgrade() -> None:
    """Rebuild the as-of index with `occurred_end` after the ordering columns."""
    op.drop_index("ix_events_stance_asof", table_name="events")
    op.create_index("ix_events_stance_asof", "events",
                    ["actor", "topic", "occurred_start", "position", "occurred_end"],
                    sqlite_where=_STANCE, postgresql_where=_STANCE)


def downgrade() -> None:
    """The index of revision 0001."""
    op.drop_index("ix_events_stance_asof", table_name="events")
    op.create_index("ix_events_stance_asof", "events",
                    ["actor", "topic", "occurred_start", "position"],
                    sqlite_where=_STANCE, postgresql_where=_STANCE)
