"""`GET /api/dates`: what a date expression resolves to, for forms that take words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from stanceline.api.models import ERRORS
from stanceline.dates import (
    DateSpan,
    OpenSpan,
    out_of_range,
    parse_date,
    parse_edtf,
    parse_open_date,
)
from stanceline.errors import InvalidDate, InvalidInput

router = APIRouter(prefix="/api", tags=["dates"], responses=ERRORS)


class DateOut(BaseModel):
    """The span a date expression names: inclusive calendar days (`start` null: an open start,
    on or before `end`), the precision, the EDTF form and whether the text was already EDTF."""

    text: str
    relative_to: str | None
    start: str | None
    end: str
    precision: str
    edtf: str
    open: bool
    is_edtf: bool


def resolve(text: str, relative_to: str | None = None) -> DateOut:
    """Resolve `text` as an event's `occurred_text` is resolved on append (dated, else open)."""
    reference = None
    if relative_to:
        try:
            span = parse_edtf(relative_to)
        except InvalidDate as exc:
            raise InvalidInput(exc.detail, [{"path": "query.relative_to",
                                             "message": exc.detail}]) from None
        if span is None:
            message = "`relative_to` takes YYYY, YYYY-MM or YYYY-MM-DD"
            raise InvalidInput(message, [{"path": "query.relative_to", "message": message}])
        wide = out_of_range(span.start, span.end)
        if wide is not None:
            raise InvalidInput(f"`relative_to` is {wide}",
                               [{"path": "query.relative_to", "message": wide}])
        reference = span.end
    resolved: DateSpan | OpenSpan
    try:
        resolved = parse_date(text, reference)
    except InvalidDate as exc:
        try:
            resolved = parse_open_date(text, reference)
        except InvalidDate:
            raise InvalidInput(exc.detail, [{"path": "query.text",
                                             "message": exc.detail}]) from None
    # Refused here as an append would refuse it, so a form never offers what it cannot send.
    wide = out_of_range(resolved.start, resolved.end)
    if wide is not None:
        raise InvalidInput(f"{text!r} is {wide}", [{"path": "query.text", "message": wide}])
    # EDTF as given goes in `occurred`; words go in `occurred_text` (resolved on append).
    is_edtf = resolved.edtf == text.strip()
    start = resolved.start
    return DateOut(text=text, relative_to=relative_to or None,
                   start=None if start is None else start.isoformat(),
                   end=resolved.end.isoformat(), precision=str(resolved.precision),
                   edtf=resolved.edtf, open=start is None, is_edtf=is_edtf)


@router.get("/dates", response_model=DateOut)
async def dates(text: Annotated[str, Query(min_length=1, max_length=200)],
                relative_to: Annotated[str | None, Query(max_length=40)] = None) -> DateOut:
    """What a date expression resolves to ("last February" against 2025-01-23: 2024-02),
    the way `occurred_text` is resolved on append; a 422 says what was not understood."""
    return resolve(text, relative_to)
