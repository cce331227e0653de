"""Storage: the store protocols (the log, one read protocol per family of projections), the SQL
store (SQLite, PostgreSQL; one dialect class each) and the in-memory store."""

from stanceline.store.base import (
    ClaimReads,
    DirectoryReads,
    EventFilter,
    EventLog,
    EventStore,
    StanceReads,
    TimelineReads,
)
from stanceline.store.factory import open_store

__all__ = ["ClaimReads", "DirectoryReads", "EventFilter", "EventLog", "EventStore",
           "StanceReads", "TimelineReads", "open_store"]
