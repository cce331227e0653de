"""Storage: the EventStore protocol, the SQL store (SQLite, PostgreSQL) and the in-memory store."""

from stanceline.store.base import EventFilter, EventStore
from stanceline.store.factory import open_store

__all__ = ["EventFilter", "EventStore", "open_store"]
