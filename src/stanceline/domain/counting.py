"""Whether an event counts at a date: certainly, possibly, or not yet (DESIGN §4)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from stanceline.dates import parse_edtf
from stanceline.domain.events import RecordedEvent
from stanceline.errors import InvalidDate


class Counts(StrEnum):
    """How an event bears on an answer as of a date."""

    CERTAIN = "certain"
    POSSIBLE = "possible"


def counts_on(start: date | None, end: date | None, as_of: date) -> Counts | None:
    """A span ended by `as_of` counts; one under way (or an open start not yet ended) may."""
    if end is None:
        return None
    if end <= as_of:
        return Counts.CERTAIN
    if start is None or start <= as_of:
        return Counts.POSSIBLE
    return None


def published_span(event: RecordedEvent) -> tuple[date | None, date]:
    """When the event's source was published; without a date, the day we recorded it."""
    published = (event.source or {}).get("published")
    try:
        span = None if not published else parse_edtf(str(published))
    except InvalidDate:
        # Appends refuse such a date now; a log written before then must still be readable.
        span = None
    if span is None:
        recorded = event.recorded_at.date()
        return recorded, recorded
    return span.start, span.end


def reported_by(event: RecordedEvent, by: date | None) -> Counts | None:
    """Whether the press had reported the event by `by` (no bound: certainly)."""
    if by is None:
        return Counts.CERTAIN
    start, end = published_span(event)
    return counts_on(start, end, by)


def combine(*found: Counts | None) -> Counts | None:
    """Both conditions must hold; the answer is only as certain as the least certain."""
    if any(c is None for c in found):
        return None
    return Counts.POSSIBLE if Counts.POSSIBLE in found else Counts.CERTAIN
