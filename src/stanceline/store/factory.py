"""Open the store a URL names."""

from __future__ import annotations

from stanceline.store.base import EventStore


def open_store(url: str, *, migrate: bool = True) -> EventStore:
    """`memory://` for the in-memory store; any SQLAlchemy URL (sqlite, postgresql) for SQL."""
    if url.startswith("memory:"):
        from stanceline.store.memory import InMemoryStore

        return InMemoryStore()
    from stanceline.store.sql import SqlEventStore

    return SqlEventStore(url, migrate=migrate)
