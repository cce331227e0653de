"""The table-backed projections, one module each, and the registry the store loops over.

Append, import and rebuild hand every projection in `PROJECTIONS` the events its `wants`
accepts, in this order, inside the log's own transaction. Adding a projection is one module
here (its table, `WANTS`, `apply`, optional `rebuild`, its queries), one entry below and one
migration in stanceline/migrations/versions/.
"""

from __future__ import annotations

from stanceline.store.projections import (
    claims,
    directory,
    documents,
    event_refs,
    months,
    stance_pairs,
    voids,
)
from stanceline.store.projections.base import Projection

PROJECTIONS: tuple[Projection, ...] = (
    event_refs.PROJECTION,
    voids.PROJECTION,
    claims.PROJECTION,
    directory.PROJECTION,
    documents.PROJECTION,
    stance_pairs.PROJECTION,
    months.PROJECTION,
)

__all__ = ["PROJECTIONS", "Projection"]
