"""SQLite: `position` becomes the rowid (INTEGER PRIMARY KEY) instead of a second index.

A BIGINT primary key is not a rowid alias in SQLite, so every append also wrote a separate
primary-key index. PostgreSQL is unchanged.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
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
    occurred VARCHAR(10),
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
    """Copy the log, row for row, into a table keyed by its rowid; guards and index again."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(_TABLE)
    op.execute(f"INSERT INTO events_new ({_COLUMNS}) SELECT {_COLUMNS} FROM events "
               "ORDER BY position")
    # Dropping the table drops its triggers and indexes; no row is updated or deleted.
    op.execute("DROP TABLE events")
    op.execute("ALTER TABLE events_new RENAME TO events")
    op.execute("CREATE INDEX ix_events_stance_asof ON events "
               "(actor, topic, occurred_start, position) WHERE type = 'stance.declared'")
    for statement in _GUARDS:
        op.execute(statement)


def downgrade() -> None:
    """Nothing to undo that matters: an INTEGER key holds every BIGINT position."""
