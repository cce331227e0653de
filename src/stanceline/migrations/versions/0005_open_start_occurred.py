"""`occurred` takes an EDTF open start (`../2025-02-20`, 13 characters): VARCHAR(10) -> (16).

PostgreSQL alters the column in place. SQLite does not enforce the length, but the declared
type is what the schema says, so the table is copied row for row as in revision 0003 (no row
is updated or deleted; the guards and the as-of index are made again).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = ("position, id, stream, version, type, schema_version, occurred, occurred_start, "
            "occurred_end, precision, occurred_text, relative_to, recorded_at, actor, topic, "
            "data, source, supersedes, disputed, note, hash, prev_hash")

_TABLE = """CREATE TABLE events_new (
    position INTEGER NOT NULL,
    id BLOB NOT NULL,
    stream VARCHAR(120) NOT NULL,
    version INTEGER NOT NULL,
    type VARCHAR(40) NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred VARCHAR(16),
    occurred_start DATE,
    occurred_end DATE,
    precision VARCHAR(5),
    occurred_text TEXT,
    relative_to VARCHAR(200),
    recorded_at DATETIME NOT NULL,
    actor VARCHAR(80),
    topic VARCHAR(80),
    data TEXT NOT NULL,
    source TEXT,
    supersedes BLOB,
    disputed BOOLEAN NOT NULL,
    note TEXT,
    hash VARCHAR(64) NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (position),
    CONSTRAINT uq_events_stream_version UNIQUE (stream, version),
    UNIQUE (id)
)"""

_GUARDS = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
)


def upgrade() -> None:
    """Widen `occurred`."""
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("events", "occurred", type_=sa.String(16),
                        existing_type=sa.String(10))
        return
    op.execute(_TABLE)
    op.execute(f"INSERT INTO events_new ({_COLUMNS}) SELECT {_COLUMNS} FROM events "
               "ORDER BY position")
    op.execute("DROP TABLE events")
    op.execute("ALTER TABLE events_new RENAME TO events")
    op.execute("CREATE INDEX ix_events_stance_asof ON events "
               "(actor, topic, occurred_start, position, occurred_end) "
               "WHERE type = 'stance.declared'")
    for statement in _GUARDS:
        op.execute(statement)


def downgrade() -> None:
    """Nothing to undo: every value of the narrower column fits the wider one."""
