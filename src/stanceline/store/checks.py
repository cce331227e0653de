"""What a batch's references resolve to, read inside the append's transaction for the pure
checks of `domain.integrity` (one statement per kind of id, not one per event)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from stanceline.domain import corrections, integrity
from stanceline.domain.events import PreparedEvent, RecordedEvent
from stanceline.domain.quotes import normalise
from stanceline.store.projections import directory, documents, voids


class Checks:
    """The store's side of the checks, with the normalised texts of documents kept between
    batches (a document's text never changes; a new registration has a new position)."""

    def __init__(self) -> None:
        self._texts: dict[str, tuple[int, str, str]] = {}

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
        held = documents.positions(conn, cited)
        stale = [d for d, p in held.items() if self._texts.get(d, (0,))[0] != p]
        for document, (position, text) in documents.texts(conn, stale).items():
            self._texts[document] = (position, str(text), normalise(str(text)))
        registered = {d: self._texts[d] for d in held}
        return integrity.Known(
            actors=directory.registered(conn, actors), topics=directory.defined(conn, topics),
            documents={d: t[2] for d, t in registered.items()},
            originals={d: t[1] for d, t in registered.items()},
            holders=directory.holders(conn, folded),
            choices=lambda: directory.choices(conn))
