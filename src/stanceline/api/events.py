"""Routes of the event log: append, read, one event, verify."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from stanceline.api.filters import LogFilterDep
from stanceline.api.models import (
    ERRORS,
    AppendRequest,
    AppendResponse,
    EventDetailOut,
    EventsPage,
    PassageOut,
    VerifyOut,
)
from stanceline.api.respond import respond
from stanceline.api.tables import CSV_RESPONSES, EVENTS, FORMAT_HELP, csv_response, wants_csv
from stanceline.deps import ServiceDep, Writer, require_writer
from stanceline.domain.events import RecordedEvent, format_timestamp
from stanceline.domain.voids import Void
from stanceline.offload import heavy
from stanceline.service import Service

router = APIRouter(prefix="/api", tags=["events"], responses=ERRORS)


@router.post("/events", status_code=201, response_model=AppendResponse)
async def append_events(body: AppendRequest, service: ServiceDep, writer: Writer) -> Response:
    """Append a batch atomically; a replay of the same ids answers the original result. Each
    event records the name of the write token as `recorded_by`."""
    appended = await run_in_threadpool(service.append, body.events, body.expect, writer)
    return respond(AppendResponse, {"appended": appended}, status_code=201)


@router.get("/events", response_model=EventsPage, responses=CSV_RESPONSES)
async def list_events(
    service: ServiceDep,
    request: Request,
    log: LogFilterDep,
    limit: Annotated[int, Query(ge=1)] = 100,
    format: Annotated[Literal["json", "csv"] | None, Query(description=FORMAT_HELP)] = None,
) -> dict[str, Any] | Response:
    """Events in position order, filtered; `next_after` is the cursor of the next page.
    Events retracted or superseded as known at `known_at` are left out unless
    `include_retracted=true` (each then says `retracted_by` or `superseded_by`, and when).
    As CSV (`format=csv` or `Accept: text/csv`): one flat row per event, the next page's URL
    in a `Link: <...>; rel="next"` header."""

    answer = await run_in_threadpool(lambda: events_page(service, **log.given(), limit=limit))
    if wants_csv(format, request.headers.get("accept")):
        headers = {}
        if answer["next_after"] is not None:
            following = request.url.include_query_params(after=answer["next_after"])
            headers["Link"] = f'<{following}>; rel="next"'
        return csv_response(EVENTS, answer, request.query_params, headers)
    return answer


@router.get("/events/{event_id}", response_model=EventDetailOut)
async def get_event(event_id: str, service: ServiceDep,
                    known_at: str | None = None) -> dict[str, Any]:
    """One event by id; `retracted_by` / `superseded_by` and `retracted_at` say whether (and
    since when) it stopped counting, as known at `known_at` (default: now); `passage` shows
    its quote in its paragraph of the registered document it cites."""

    def read() -> dict[str, Any]:
        event = service.event(event_id)
        found = with_void(event, service.voids([event.id], known_at).get(event.id))
        passage = service.passage(event)
        found["passage"] = None if passage is None else PassageOut.wire(passage)
        return found

    return await run_in_threadpool(read)


def events_page(service: Service, *, actor: str | None = None, topic: str | None = None,
                type: str | None = None, occurred_from: str | None = None,
                occurred_to: str | None = None, known_at: str | None = None,
                recorded_by: str | None = None, after: int = 0, limit: int = 100,
                include_retracted: bool = False) -> dict[str, Any]:
    """A page of the log as `GET /api/events` answers it, shaped by `EventsPage` (the CLI's
    `events` prints the same)."""
    page, next_after = service.events(
        actor=actor, topic=topic, type=type, occurred_from=occurred_from,
        occurred_to=occurred_to, known_at=known_at, recorded_by=recorded_by, after=after,
        limit=limit, include_retracted=include_retracted)
    voids = service.voids([e.id for e in page], known_at) if include_retracted else {}
    answer = {"events": [with_void(e, voids.get(e.id)) for e in page], "next_after": next_after}
    return EventsPage.model_validate(answer).model_dump(mode="json")


def with_void(event: RecordedEvent, void: Void | None) -> dict[str, Any]:
    """An event's envelope and what voided it, if anything."""
    envelope = event.envelope()
    envelope["retracted_by"] = None if void is None or not void.retraction else void.by
    envelope["superseded_by"] = None if void is None or void.retraction else void.by
    envelope["retracted_at"] = None if void is None else format_timestamp(void.at)
    return envelope


@router.get("/verify", response_model=VerifyOut, response_model_exclude_none=True)
async def verify(service: ServiceDep, deep: bool = False,
                 authorization: Annotated[str | None, Header()] = None) -> VerifyOut:
    """Walk the hash chain, checking every column the queries read (the derived `actor` and
    `topic`, and on SQLite the dates' text), and report the first broken position, if any.
    `deep=true` also recomputes every projection from the log (into temporary tables, in one
    snapshot rolled back: appends go on) and names the first table and row that differ; it
    costs about what a `rebuild` does, so it needs a write token when tokens are configured
    (else a 401)."""
    if deep:
        await require_writer(service, authorization)
    return VerifyOut.of(await heavy(service.verify, deep))
