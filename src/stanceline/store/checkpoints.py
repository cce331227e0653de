"""checkpoints: every signed checkpoint of the head (issue 14.2), newest last.

Not a projection of the events (nothing in the log says what was signed, and rebuild leaves
it alone): a record of what the service vouched for and when. Its rows prove nothing by
themselves (whoever holds the file and the key can rewrite them); copies saved elsewhere do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.domain.checkpoint import Checkpoint, Signer
from stanceline.store.schema import metadata
from stanceline.store.values import to_utc

checkpoints = sa.Table(
    "checkpoints",
    metadata,
    # One checkpoint per head and key: a head already signed is served, not signed again.
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("public_key", sa.String(64), primary_key=True),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
)


def latest(conn: Connection, public_key: str) -> Checkpoint | None:
    """The newest checkpoint signed by this key, if any."""
    row = conn.execute(sa.select(checkpoints)
                       .where(checkpoints.c.public_key == public_key)
                       .order_by(checkpoints.c.position.desc(), checkpoints.c.signed_at.desc())
                       .limit(1)).first()
    if row is None:
        return None
    return Checkpoint(int(row.position), row.hash, to_utc(row.signed_at), row.public_key,
                      row.signature)


def save(conn: Connection, checkpoint: Checkpoint) -> None:
    """Store a checkpoint just signed."""
    conn.execute(checkpoints.insert().values(
        position=checkpoint.position, hash=checkpoint.hash, public_key=checkpoint.public_key,
        signed_at=checkpoint.signed_at, signature=checkpoint.signature))


def current(conn: Connection, signer: Signer, head: tuple[int, str],
            now: Callable[[], datetime]) -> Checkpoint:
    """This key's checkpoint of `head`: the stored one, or one signed and stored now. The
    caller holds the log's write lock, so every later append is recorded after `now()`."""
    found = latest(conn, signer.public_key)
    if found is not None and (found.position, found.hash) == head:
        return found
    signed = signer.sign(head[0], head[1], now())
    save(conn, signed)
    return signed
