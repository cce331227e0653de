"""documents: the registered sources, and which events cite each.

A document's text is stored once, in the event that registered it (the chain covers it there
through `text_sha256` and the event's digest); this table holds its metadata and that event's
position. A retracted registration removes its row, so the document is unknown again.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stanceline.domain.directory import published_within
from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import retraction_target
from stanceline.domain.registry import DOCUMENT_REGISTERED
from stanceline.store.dialect import Dialect
from stanceline.store.projections.base import AnyOf, Carries, OfType, Projection
from stanceline.store.schema import events, metadata

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("document", sa.String(200), primary_key=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("publisher", sa.String(300)),
    sa.Column("url", sa.Text),
    sa.Column("published", sa.String(10)),
    sa.Column("language", sa.String(20)),
    sa.Column("text_sha256", sa.String(64), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
)
citations = sa.Table(
    "citations",
    metadata,
    sa.Column("document", sa.String(200), primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True),
)


class _Cites:
    """Events whose source names a document: they are the citations."""

    def __call__(self, event: RecordedEvent) -> bool:
        """`source.document` is set."""
        return event.source is not None and bool(event.source.get("document"))

    def select(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The events citing a document."""
        return [e for e in events if e.source is not None and e.source.get("document")]

    def clause(self, dialect: Dialect) -> sa.ColumnElement[bool]:
        """The same over the stored source's JSON."""
        return dialect.json_text(events.c.source, "document").is_not(None)


WANTS = AnyOf((OfType(frozenset({DOCUMENT_REGISTERED, "event.retracted"})),
               Carries("supersedes"), _Cites()))

_FIELDS = ("title", "publisher", "url", "published", "language", "text_sha256")


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """Registrations add a row, citations a citation, and a void of a registration removes
    its row."""
    cited = [(str(e.source["document"]), e.position) for e in new
             if e.source is not None and e.source.get("document")]
    if cited:
        dialect.insert(conn, "citations", ("document", "position"), cited)
    # In log order, so a registration retracted later in the same batch is gone after it.
    targets: list[str] = []
    for event in new:
        if event.type == DOCUMENT_REGISTERED:
            _delete_registrations(conn, dialect, targets)
            targets = []
            data = event.data
            conn.execute(documents.insert().values(
                document=data["document"], position=event.position,
                **{k: data.get(k) for k in _FIELDS}))
        target = retraction_target(event)
        if target is not None:
            targets.append(target)
    _delete_registrations(conn, dialect, targets)


def _delete_registrations(conn: Connection, dialect: Dialect, targets: Sequence[str]) -> None:
    """Remove the rows of the registrations among `targets` (ids of voided events)."""
    for start in range(0, len(targets), dialect.id_chunk):
        aimed = sa.select(events.c.position).where(
            events.c.id.in_(targets[start:start + dialect.id_chunk]))
        conn.execute(documents.delete().where(documents.c.position.in_(aimed)))


def listed(conn: Connection, publisher: str | None = None, first: date | None = None,
           last: date | None = None) -> list[dict[str, Any]]:
    """The documents' metadata in order of registration; `published` bounds compare the
    publication's span (a month-precision date overlaps every day of its month)."""
    query = sa.select(documents).order_by(documents.c.position)
    if publisher is not None:
        query = query.where(sa.func.lower(documents.c.publisher) == publisher.lower())
    rows = [dict(r._mapping) for r in conn.execute(query)]
    return [r for r in rows if published_within(r["published"], first, last)]


def get(conn: Connection, document: str) -> tuple[dict[str, Any], str] | None:
    """One document's metadata and text (read from the event that registered it)."""
    row = conn.execute(sa.select(documents, events.c.data)
                       .join(events, events.c.position == documents.c.position)
                       .where(documents.c.document == document)).first()
    if row is None:
        return None
    found = dict(row._mapping)
    text = json.loads(found.pop("data"))["text"]
    return found, text


def texts(conn: Connection, ids: Collection[str]) -> dict[str, tuple[int, str]]:
    """(position, text) of each registered document among `ids`."""
    if not ids:
        return {}
    query = (sa.select(documents.c.document, documents.c.position, events.c.data)
             .join(events, events.c.position == documents.c.position)
             .where(documents.c.document.in_(sorted(ids))))
    return {str(r.document): (int(r.position), json.loads(r.data)["text"])
            for r in conn.execute(query)}


def citing(conn: Connection, document: str, limit: int) -> list[int]:
    """The positions of the events citing a document, in log order."""
    query = (sa.select(citations.c.position).where(citations.c.document == document)
             .order_by(citations.c.position).limit(limit))
    return [int(p) for p in conn.execute(query).scalars()]


PROJECTION = Projection("documents", (documents, citations), WANTS, apply)
