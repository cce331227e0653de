"""Open the store a URL names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stanceline.store.base import EventStore

if TYPE_CHECKING:
    from stanceline.store.sessions import SessionLimits


def open_store(url: str, *, migrate: bool = True,
               limits: SessionLimits | None = None) -> EventStore:
    """`memory://` for the in-memory store; any SQLAlchemy URL (sqlite, postgresql) for SQL.

    `migrate=False` opens only a store that exists and is at the newest revision (NoStore
    otherwise), creating nothing: what every read-only command of the CLI asks for.
    """
    if url.startswith("memory:"):
        from stanceline.store.memory import InMemoryStore

        return InMemoryStore()
    from stanceline.store.sql import SqlEventStore

    if not migrate:
        from stanceline.store.migrate import require_current

        require_current(url)

    return SqlEventStore(url, migrate=migrate, limits=limits)
