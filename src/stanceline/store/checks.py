"""What a batch's references resolve to, read inside the append's transaction for the pure
checks of `domain.integrity` (one statement per kind of id, not one per event)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from stanceline.domain import corrections, integrity
from stanceline.domain.directory import ActorEntry
from stanceline.domain.events import PreparedEvent, RecordedEvent
from stanceline.domain.quotes import normalise
from stanceline.store.dialect import Dialect
from stanceline.store.projections import directory, documents, voids


class Checks:
    """The store's side of the checks, with the normalised texts of documents kept between
    batches (a document's text never changes; a new registration has a new position)."""

    def __init__(self, dialect: Dialect) -> None:
        self._texts: dict[str, tuple[int, str, str]] = {}
        self.sql = dialect

    def run(self, conn: Connection, batch: Sequence[PreparedEvent],
            stored: dict[str, RecordedEvent]) -> None:
        """Check the batch's new events (replays take the original's `verified`), and place
        its retractions on their targets' streams (replays too, so they compare equal)."""
        voiding = [e for e in batch if corrections.aim(e) is not None]
        targets = voids.targets(conn, corrections.wanted(batch)) if voiding else {}
        if voiding:
            corrections.place(batch, targets)
        fresh = [e for e in batch if e.id not in stored]
        for event in batch:
            original = stored.get(event.id)
            if original is not None:
                integrity.align_replay(event, original)
        if fresh:
            integrity.check(batch, self.known(conn, fresh), normalise, replayed=stored)
            if voiding:
                corrections.check(batch, targets, replayed=stored)

    def known(self, conn: Connection, batch: Sequence[PreparedEvent]) -> integrity.Known:
        """What the batch's actor, topic and document ids and registered names stand for."""
        actors, topics, cited, folded = integrity.wanted(batch)
        held = {str(d): int(p) for d, p in self._rows(
            conn, "SELECT document, position FROM documents WHERE document", cited)}
        stale = [d for d, p in held.items() if self._texts.get(d, (0,))[0] != p]
        for document, (position, text) in documents.texts(conn, stale).items():
            self._texts[document] = (position, str(text), normalise(str(text)))
        registered = {d: self._texts[d] for d in held}
        found = {str(r[0]): ActorEntry(str(r[0]), str(r[1]), str(r[2]),
                                       tuple(json.loads(r[3])), r[5], tuple(json.loads(r[4])))
                 for r in self._rows(conn, "SELECT actor, name, kind, aliases, members, "
                                           "represents FROM actors WHERE actor", actors)}
        return integrity.Known(
            actors=found,
            topics={str(r[0]) for r in self._rows(
                conn, "SELECT topic FROM topics WHERE topic", topics)},
            documents={d: t[2] for d, t in registered.items()},
            originals={d: t[1] for d, t in registered.items()},
            holders={str(r[0]): str(r[1]) for r in self._rows(
                conn, "SELECT alias, actor FROM actor_aliases WHERE alias", folded)},
            choices=lambda: directory.choices(conn))

    def _rows(self, conn: Connection, select: str, ids: set[str]) -> list[Any]:
        """`select ... IN (ids)` on the driver, in chunks (an append's statements skip
        SQLAlchemy's statement machinery: ~100 us each, several per single append)."""
        wanted = sorted(ids)
        found: list[Any] = []
        for start in range(0, len(wanted), self.sql.id_chunk):
            chunk = wanted[start:start + self.sql.id_chunk]
            marks = ", ".join([self.sql.mark] * len(chunk))
            found += conn.exec_driver_sql(f"{select} IN ({marks})", tuple(chunk)).all()
        return found
