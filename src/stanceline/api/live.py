"""`GET /api/live`: appended events as Server-Sent Events, from the process's one watcher.

Subscribers do not poll the store: the app's `AppendFeed` (store/feed.py) follows the log once
for everyone (LISTEN/NOTIFY on PostgreSQL, one poll loop elsewhere), keeps the latest events
and wakes the subscribers, who send what they have not sent from its buffer. A subscriber
further behind than the buffer (a reconnect after long, `after=0`) reads the store itself, a
batch at a time, through the same `Service.events` as everyone else, until it catches up.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from stanceline.deps import FeedDep, ServiceDep
from stanceline.domain.events import RecordedEvent
from stanceline.service import Service
from stanceline.store.feed import AppendFeed

KEEP_ALIVE_SECONDS = 15.0
BATCH = 500
# Browsers reconnect after this many milliseconds, sending Last-Event-ID: no event is lost.
RETRY_MS = 2_000
# Positions are 64-bit integers in both engines.
MAX_POSITION = 2**63 - 1

router = APIRouter(prefix="/api", tags=["live"])


async def next_events(service: Service, feed: AppendFeed, cursor: int) -> list[RecordedEvent]:
    """The events appended after `cursor`, in position order (at most one batch): from the
    feed's buffer when it reaches back that far, else from the store."""
    buffered = feed.since(cursor, BATCH)
    if buffered is not None:
        return buffered
    page, _ = await run_in_threadpool(service.events, after=cursor, limit=BATCH)
    return page


def message(event: RecordedEvent) -> str:
    """One SSE message: `id` is the position, so a reconnecting client resumes after it."""
    data = json.dumps(event.envelope(), ensure_ascii=False, separators=(",", ":"))
    # JSON never holds a raw newline, so the payload is always one `data:` line.
    return f"id: {event.position}\nevent: appended\ndata: {data}\n\n"


async def stream(request: Request, service: Service, feed: AppendFeed,
                 cursor: int) -> AsyncIterator[str]:
    """Send every event after `cursor` as it is appended, until the client goes away."""
    with feed.subscribed():
        yield f"retry: {RETRY_MS}\n\n"
        async for message_ in _follow(request, service, feed, cursor):
            yield message_


async def _follow(request: Request, service: Service, feed: AppendFeed,
                  cursor: int) -> AsyncIterator[str]:
    quiet_since = time.monotonic()
    while not await request.is_disconnected():
        events = await next_events(service, feed, cursor)
        for event in events:
            yield message(event)
            cursor = event.position
        now = time.monotonic()
        if events:
            quiet_since = now
        elif now - quiet_since >= KEEP_ALIVE_SECONDS:
            # Proxies close idle connections; a comment line keeps this one open.
            yield ": keep-alive\n\n"
            quiet_since = now
        if len(events) < BATCH:
            # Woken by the watcher when the log grows; the next turn takes whatever arrived.
            await feed.wait(cursor, KEEP_ALIVE_SECONDS)


# A position as the stream sends it in `id:`: ASCII digits only (`str.isdigit` also takes
# "²", which int() refuses), and no more of them than a 64-bit position can have.
_POSITION = re.compile(r"[0-9]{1,19}")


def start_position(after: int | None, last_event_id: str | None) -> int | None:
    """Where a stream starts: after `Last-Event-ID` (a reconnect), else after `after`; None
    means "from the current head", i.e. only what is appended from now on.

    `Last-Event-ID` is bounded like `after` (an integer from 0 to 2**63 - 1); any other value
    (negative, fractional, "²", past 2**63 - 1) is not an id this stream sent, so it is
    ignored: the stream starts as if the header were absent, never replaying the log."""
    if last_event_id is not None:
        text = last_event_id.strip()
        if _POSITION.fullmatch(text) and int(text) <= MAX_POSITION:
            return int(text)
    return after


@router.get("/live", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`id: <position>`, `event: appended`, "
                                            "`data: <envelope JSON>` per appended event"}})
async def live(request: Request, service: ServiceDep, feed: FeedDep,
               after: Annotated[int | None, Query(
                   ge=0, le=MAX_POSITION,
                   description="a position: send the events after it (default: from now on)")]
               = None,
               last_event_id: Annotated[str | None, Header(max_length=40)] = None
               ) -> StreamingResponse:
    """Server-Sent Events of appended events, from a position on."""
    cursor = start_position(after, last_event_id)
    if cursor is None:
        cursor = await run_in_threadpool(service.head)
    return StreamingResponse(stream(request, service, feed, cursor),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
