"""Routes that answer a filtered view in another tool's format: TimelineJS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from stanceline.api.filters import LogFilterDep
from stanceline.api.models import ERRORS
from stanceline.deps import ServiceDep
from stanceline.exports.timelinejs import TimelineJS, to_timelinejs

router = APIRouter(prefix="/api", tags=["exports"], responses=ERRORS)

# The filters a TimelineJS title names, in the order it names them.
FILTERS = ("actor", "topic", "type", "from", "to", "known_at", "recorded_by")


@router.get("/timelinejs", response_model=TimelineJS)
async def timelinejs(
    service: ServiceDep,
    request: Request,
    response: Response,
    log: LogFilterDep,
    limit: Annotated[int | None, Query(ge=1, description=(
        "events read (default and most: the largest page, `STANCELINE_MAX_PAGE`)"))] = None,
) -> TimelineJS:
    """The log, filtered as `GET /api/events` filters it, as a TimelineJS document: a slide
    per dated event (headline; the summary, verbatim quote and source as escaped HTML; dates
    at their precision, an open start placed at its end and said to be "on or before"), one
    group per actor. Registry entries and retractions are left out unless `type` asks for
    them. When more events match than one read holds, a `Link: <...>; rel="next"` header
    names the next page."""
    view = await run_in_threadpool(lambda: service.log_view(**log.given(), limit=limit))
    if view.next_after is not None:
        following = request.url.include_query_params(after=view.next_after)
        response.headers["Link"] = f'<{following}>; rel="next"'
    given = [f"{name} {request.query_params[name]}" for name in FILTERS
             if request.query_params.get(name)]
    description = f"Filtered by {', '.join(given)}." if given else ""
    return to_timelinejs(view, title="Stanceline: who said what, when",
                         description=description)
