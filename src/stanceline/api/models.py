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


class EvidenceOut(BaseModel):
    id: str
    position: int
    type: str
    stance: str | None
    occurred: str | None
    occurred_text: str | None
    relative_to: str | None
    speaker: str | None
    summary: str | None
    quote: str | None
    document: str | None
    disputed: bool
    note: str | None
    counts: str


class StanceOut(BaseModel):
    actor: str
    topic: str
    stance: str
    since: str | None
    certain: bool
    possible: list[str]
    conditions: list[str]
    evidence: list[EvidenceOut]


class StancesOut(BaseModel):
    as_of: str
    known_at: str
    stances: list[StanceOut]


class ChangeOut(BaseModel):
    since: str | None
    stance: str
    certain: bool
    conditions: list[str]
    evidence: list[EvidenceOut]


class HistoryOut(BaseModel):
    actor: str
    topic: str
    known_at: str
    changes: list[ChangeOut]


class BriefOut(BaseModel):
    stance: str
    since: str | None
    certain: bool
    possible: list[str]
    conditions: list[str]


class MoveOut(BaseModel):
    actor: str
    topic: str
    before: BriefOut
    after: BriefOut
    evidence: list[EvidenceOut]


class ChangesOut(BaseModel):
    from_: str = Field(alias="from")
    to: str
    known_at: str
    changes: list[MoveOut]


class ClaimOut(BaseModel):
    id: str
    actor: str | None
    speaker: str | None
    subject: str | None
    value: float | None
    low: float | None
    high: float | None
    unit: str | None
    qualifier: str | None
    occurred: str | None
    occurred_text: str | None
    summary: str | None
    quote: str | None
    document: str | None
    disputed: bool
    note: str | None


class ClaimsOut(BaseModel):
    subject: str | None
    as_of: str
    known_at: str
    claims: list[ClaimOut]


class ActorOut(BaseModel):
    actor: str
    name: str
    kind: str
    aliases: list[str]
    represents: str | None
    members: list[str]


class ActorsOut(BaseModel):
    actors: list[ActorOut]


class ActorDetailOut(ActorOut):
    stances: list[StanceOut]


class TopicOut(BaseModel):
    topic: str
    title: str
    description: str


class TopicsOut(BaseModel):
    topics: list[TopicOut]
