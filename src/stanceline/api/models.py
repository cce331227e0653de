"""Request and response shapes of the HTTP contract (they also make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from stanceline.domain.events import EventIn, StreamName


class AppendRequest(BaseModel):
    """`POST /api/events`: an atomic batch and the stream versions it expects."""

    events: list[EventIn]
    expect: dict[StreamName, int] = Field(default_factory=dict)


class AppendedOut(BaseModel):
    id: str
    position: int
    stream: str
    version: int
    recorded_at: str
    hash: str


class AppendResponse(BaseModel):
    appended: list[AppendedOut]


class EventOut(BaseModel):
    position: int
    id: str
    stream: str
    version: int
    type: str
    schema_version: int
    occurred: str | None
    occurred_start: str | None
    occurred_end: str | None
    precision: str | None
    occurred_text: str | None
    relative_to: str | None
    recorded_at: str
    data: dict[str, Any]
    source: dict[str, Any] | None
    supersedes: str | None
    disputed: bool
    note: str | None
    hash: str
    prev_hash: str


class EventsPage(BaseModel):
    events: list[EventOut]
    next_after: int | None


class VerifyOut(BaseModel):
    ok: bool
    events: int
    head: str | None = None
    broken_at: int | None = None
    detail: str | None = None


class ErrorOut(BaseModel):
    error: str
    detail: str
    errors: list[dict[str, Any]] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 404, 409, 413, 422)
}
