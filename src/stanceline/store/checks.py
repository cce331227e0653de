"""What a batch's references resolve to, read inside the append's transaction for the pure
checks of `domain.integrity` (one statement per kind of id, not one per event, sent with the
append's other reads: one round trip on PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy.engine import Connection

from stanceline.domain import corrections, integrity
from stanceline.domain.directory import ActorEntry
from stanceline.domain.events import PreparedEvent, RecordedEvent
from stanceline.domain.quotes import normalise
from stanceline.store.dialect import Dialect
from stanceline.store.pipeline import Reads
from stanceline.store.projections import directory, documents, voids


class Checks:
    """The store's side of the checks, with the normalised texts of documents kept between
    batches (a document's text never changes; a new registration has a new position)."""

    def __init__(self, dialect: Dialect) -> None:
        self._texts: dict[str, tuple[int, str, str]] = {}
        self.sql = dialect

    def run(self, conn: Connection, batch: Sequence[PreparedEvent],
            stored: dict[str, RecordedEvent], asked: Asked) -> None:
        """Check the batch's new events (replays take the original's `verified`), and place
        its retractions on their targets' streams (replays too, so they compare equal).
        `asked` is what `ask` queued for the batch, sent since."""
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
            integrity.check(batch, self.known_from(conn, asked), normalise, replayed=stored)
            if voiding:
                corrections.check(batch, targets, replayed=stored)

    def known(self, conn: Connection, batch: Sequence[PreparedEvent]) -> integrity.Known:
        """What the batch's actor, topic and document ids and registered names stand for."""
        reads = Reads()
        asked = self.ask(reads, batch)
        reads.send(conn, self.sql.pipelines)
        return self.known_from(conn, asked)

    def ask(self, reads: Reads, batch: Sequence[PreparedEvent]) -> Asked:
        """Queue the lookups of what `batch` names (one statement per kind of id and chunk),
        to be sent with the append's other reads."""
        actors, topics, cited, folded = integrity.wanted(batch)
        return Asked(
            documents=self._ask(reads, "SELECT document, position FROM documents "
                                       "WHERE document", cited),
            actors=self._ask(reads, "SELECT actor, name, kind, aliases, members, represents "
                                    "FROM actors WHERE actor", actors),
            topics=self._ask(reads, "SELECT topic FROM topics WHERE topic", topics),
            holders=self._ask(reads, "SELECT alias, actor FROM actor_aliases WHERE alias",
                              folded))

    def known_from(self, conn: Connection, asked: Asked) -> integrity.Known:
        """The answers to `ask`'s lookups; a document's text is read once (then kept)."""
        held = {str(d): int(p) for d, p in _rows(asked.documents)}
        stale = [d for d, p in held.items() if self._texts.get(d, (0,))[0] != p]
        for document, (position, text) in documents.texts(conn, stale).items():
            self._texts[document] = (position, str(text), normalise(str(text)))
        registered = {d: self._texts[d] for d in held}
        found = {str(r[0]): ActorEntry(str(r[0]), str(r[1]), str(r[2]),
                                       tuple(json.loads(r[3])), r[5], tuple(json.loads(r[4])))
                 for r in _rows(asked.actors)}
        return integrity.Known(
            actors=found,
            topics={str(r[0]) for r in _rows(asked.topics)},
            documents={d: t[2] for d, t in registered.items()},
            originals={d: t[1] for d, t in registered.items()},
            holders={str(r[0]): str(r[1]) for r in _rows(asked.holders)},
            choices=lambda: directory.choices(conn))

    def forget(self) -> None:
        """Drop the kept texts: a transaction that read them did not commit (its positions
        will be used again)."""
        self._texts.clear()

    def _ask(self, reads: Reads, select: str, ids: set[str]) -> list[list[Any]]:
        """`select ... IN (ids)`, one statement per chunk (SQLite caps a statement's
        parameters): the rows of each chunk, once sent."""
        wanted = sorted(ids)
        step = self.sql.id_chunk
        return [reads.ask(f"{select} IN ({', '.join([self.sql.mark] * len(chunk))})", chunk)
                for chunk in (wanted[i:i + step] for i in range(0, len(wanted), step))]


@dataclass(frozen=True, slots=True)
class Asked:
    """The rows of a batch's lookups, chunk by chunk (filled when the reads are sent)."""

    documents: list[list[Any]]
    actors: list[list[Any]]
    topics: list[list[Any]]
    holders: list[list[Any]]


def _rows(chunks: list[list[Any]]) -> Iterator[Any]:
    return chain.from_iterable(chunks)
