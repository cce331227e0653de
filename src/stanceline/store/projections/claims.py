"""claims: the numbers claimed (force sizes, ...), indexed by subject and date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import CLAIM
from stanceline.store.dialect import Dialect
from stanceline.store.projections import voids
from stanceline.store.projections.base import OfType, Projection
from stanceline.store.schema import events, metadata

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("subject", sa.String(80), nullable=False),
    sa.Column("occurred_start", sa.Date),
)
sa.Index("ix_claims_subject", claims.c.subject, claims.c.occurred_start, claims.c.position)

WANTS = OfType(frozenset({CLAIM}))


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """One row per claim."""
    dialect.insert(conn, "claims", ("position", "subject", "occurred_start"),
                   [(e.position, e.data["subject"], dialect.bind_day(e.occurred_start))
                    for e in new])


def query(subject: str | None, as_of: date | None,
          known_at: datetime | None = None) -> sa.Select[Any]:
    """Counting claims about `subject` (or all) begun by `as_of` (or with an open start)."""
    found = voids.counting(known_at).join(claims, claims.c.position == events.c.position)
    if subject is not None:
        found = found.where(claims.c.subject == subject)
    if as_of is not None:
        found = found.where(sa.or_(claims.c.occurred_start <= as_of,
                                   claims.c.occurred_start.is_(None)))
    return found.order_by(claims.c.occurred_start, events.c.position)


PROJECTION = Projection("claims", (claims,), WANTS, apply)
