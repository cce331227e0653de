"""The directory's entries: registered actors and defined topics, as every store answers them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from stanceline.dates import parse_edtf

if TYPE_CHECKING:
    from stanceline.domain.events import RecordedEvent


@dataclass(frozen=True, slots=True)
class ActorEntry:
    """One registered actor as the remaining registry events say it is."""

    actor: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    represents: str | None
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicEntry:
    """One defined topic."""

    topic: str
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """One registered source document (its text is read separately: it can be long)."""

    document: str
    title: str
    publisher: str | None
    url: str | None
    published: str | None
    language: str | None
    text_sha256: str
    position: int


def document_entry(event: RecordedEvent) -> DocumentEntry:
    """The entry a `document.registered` event makes."""
    data = event.data
    return DocumentEntry(document=data["document"], title=data["title"],
                         publisher=data.get("publisher"), url=data.get("url"),
                         published=data.get("published"), language=data.get("language"),
                         text_sha256=data["text_sha256"], position=event.position)


def published_within(published: str | None, first: date | None, last: date | None) -> bool:
    """Whether a publication date (EDTF, any precision) overlaps [first, last]: a month-
    precision date overlaps every day of its month. Unbounded when both are None."""
    if first is None and last is None:
        return True
    span = None if published is None else parse_edtf(published)
    if span is None:
        return False
    return (first is None or span.end >= first) and (last is None or span.start <= last)
