"""The SQL store's reads of its projection tables other than the hot as-of path: the registry
(actors, topics, documents), the stance pairs and the claims. The queries live in their
projections' modules."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.domain.directory import ActorEntry, DocumentEntry, TopicEntry
from stanceline.domain.events import RecordedEvent
from stanceline.domain.runs import order_key
from stanceline.store.projections import claims, directory, documents, stance_pairs
from stanceline.store.rows import EVENT_COLUMNS, row_to_event
from stanceline.store.schema import events


class RegistryReads:
    """Mixed into the SQL store, which provides `_read`."""

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def stance_pairs(self, actor: str | None = None,
                     topic: str | None = None) -> list[tuple[str, str]]:
        """Every (actor, topic) with a stance event that still counts."""
        with self._read() as conn:
            rows = conn.execute(stance_pairs.query(actor, topic))
            return sorted((r.actor, r.topic) for r in rows)

    def claims(self, subject: str | None, as_of: date | None,
               known_at: datetime | None = None) -> list[RecordedEvent]:
        """Claims about `subject` (or all) dated on or before `as_of`, in date order."""
        with self._read() as conn:
            found = [row_to_event(r) for r in
                     conn.execute(claims.query(subject, as_of, known_at))]
        return sorted(found, key=order_key)

    def actors(self, q: str | None = None) -> list[ActorEntry]:
        """The actor directory; `q` matches names and aliases, ignoring case and accents."""
        with self._read() as conn:
            return directory.list_actors(conn, q)

    def actor(self, actor: str) -> ActorEntry | None:
        """One registered actor."""
        with self._read() as conn:
            return directory.get_actor(conn, actor)

    def resolve(self, name: str) -> list[str]:
        """The actor ids a name or alias stands for (exact after folding)."""
        with self._read() as conn:
            return directory.resolve(conn, name)

    def topics(self) -> list[TopicEntry]:
        """Every defined topic."""
        with self._read() as conn:
            return directory.list_topics(conn)

    def documents(self, publisher: str | None = None, first: date | None = None,
                  last: date | None = None) -> list[DocumentEntry]:
        """Registered documents in order of registration."""
        with self._read() as conn:
            return [DocumentEntry(**row) for row in documents.listed(conn, publisher, first,
                                                                     last)]

    def document(self, document: str) -> tuple[DocumentEntry, str] | None:
        """One document and its text."""
        with self._read() as conn:
            found = documents.get(conn, document)
        return None if found is None else (DocumentEntry(**found[0]), found[1])

    def citing(self, document: str, limit: int = 1_000) -> list[RecordedEvent]:
        """The events citing a document, in log order."""
        with self._read() as conn:
            positions = documents.citing(conn, document, limit)
            if not positions:
                return []
            rows = conn.execute(sa.select(*EVENT_COLUMNS)
                                .where(events.c.position.in_(positions))
                                .order_by(events.c.position))
            return [row_to_event(r) for r in rows]

    def document_texts(self, ids: Collection[str] | None = None) -> dict[str, str]:
        """The texts of the registered documents among `ids` (None: all)."""
        with self._read() as conn:
            if ids is None:
                ids = [d["document"] for d in documents.listed(conn)]
            return {d: text for d, (_, text) in documents.texts(conn, ids).items()}


__all__ = ["RegistryReads"]
