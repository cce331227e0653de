"""Request and response shapes of the HTTP contract (they also make the OpenAPI document).

The response models are the one source of the wire shapes: the routes (and the CLI's `--json`)
serialise the service's typed answers through them (`wire`, `wire_json`), reading attributes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from stanceline.answers import (
    ActorAnswer,
    ActorsAnswer,
    Answer,
    ChangesAnswer,
    ClaimsAnswer,
    HistoryAnswer,
    PanelAnswer,
    StancesAnswer,
    TopicsAnswer,
)
from stanceline.domain.chain import ChainReport
from stanceline.domain.events import EventIn, StreamName, format_timestamp


class Out(BaseModel):
    """A response shape, read from the attributes of a typed answer."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def wire(cls, answer: object) -> dict[str, Any]:
        """The answer as the JSON-ready value the wire carries."""
        return cls.model_validate(answer).model_dump(mode="json", by_alias=True)

    @classmethod
    def wire_json(cls, answer: object) -> bytes:
        """The answer as the JSON bytes the wire carries (compact, UTF-8)."""
        return cls.model_validate(answer).model_dump_json(by_alias=True).encode()


class AppendRequest(BaseModel):
    """`POST /api/events`: an atomic batch and the stream versions it expects. Unknown fields
    are refused: a misspelt `expect` once turned the concurrency check off in silence."""

    model_config = ConfigDict(extra="forbid")

    events: list[EventIn]
    expect: dict[StreamName, int] = Field(default_factory=dict)


class AppendedOut(Out):
    id: str
    position: int
    stream: str
    version: int
    recorded_at: datetime
    hash: str

    @field_serializer("recorded_at")
    def _timestamp(self, moment: datetime) -> str:
        return format_timestamp(moment)


class AppendResponse(Out):
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
    recorded_by: str | None = Field(default=None, description="the name of the write token "
                                                             "that appended it")
    hash: str
    prev_hash: str
    # What voided it, as known at the read's `known_at`: a retraction or a correction.
    retracted_by: str | None = None
    superseded_by: str | None = None
    retracted_at: str | None = None


class PassageOut(Out):
    document: str
    title: str
    before: str = Field(description="the paragraph up to the quote")
    quote: str = Field(description="the quote as the document has it")
    after: str = Field(description="the rest of the paragraph")


class EventDetailOut(EventOut):
    passage: PassageOut | None = Field(
        default=None, description="the quote in its paragraph of the registered document")


class EventsPage(BaseModel):
    events: list[EventOut]
    next_after: int | None


class VerifyOut(Out):
    ok: bool
    events: int
    head: str | None = None
    broken_at: int | None = None
    detail: str | None = None
    column: str | None = Field(default=None, description="the log's column that disagrees "
                               "with what the hash covers")
    table: str | None = Field(default=None, description="the projection table that differs "
                              "from what the log gives (deep=true)")

    @classmethod
    def of(cls, report: ChainReport) -> Self:
        """An intact log reports its head; a broken one where and why it breaks."""
        if report.ok:
            return cls(ok=True, events=report.events, head=report.head)
        return cls(ok=False, events=report.events, broken_at=report.broken_at,
                   detail=report.detail, column=report.column, table=report.table)


class CheckpointOut(Out):
    format: str = Field(description="what the signature covers: "
                        "canonical JSON of {format, position, hash, time}")
    algorithm: str = Field(description="ed25519")
    position: int = Field(description="the head's position when it was signed")
    hash: str = Field(description="the hash of the row at that position")
    time: str = Field(description="when it was signed (UTC)")
    key: str = Field(description="the signing key's public half (base64 of 32 bytes)")
    signature: str = Field(description="Ed25519 signature (base64 of 64 bytes)")


class ErrorOut(BaseModel):
    error: str
    detail: str
    errors: list[dict[str, Any]] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 404, 409, 413, 422)
}


class EvidenceOut(Out):
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
    url: str | None
    verified: bool = Field(description="the quote was found in the registered document's "
                                       "text when the event was appended")
    disputed: bool
    note: str | None
    counts: str


class ConditionOut(Out):
    on: str | None
    text: str
    first_stated: str | None
    last_stated: str | None
    evidence: list[str] = Field(description="ids of the events that state it")


class StanceFields(Out):
    """What a stance answer says, whichever form its evidence takes."""

    actor: str
    topic: str
    speaker: str | None = Field(description="set when the answer counts only what this "
                                            "person voiced")
    stance: str
    since: str | None = Field(description="when the current stance began to hold unchanged")
    last_stated: str | None = Field(description="the latest event of that run")
    certain: bool
    possible: list[str]
    conditions: list[ConditionOut]


class StanceOut(StanceFields):
    evidence: list[EvidenceOut]


class StancesOut(Out):
    as_of: str
    known_at: str
    stances: list[StanceOut]


class StanceLeanOut(StanceFields):
    """A row of the matrix's lean answer: the evidence as ids (`evidence=full` for all of it)."""

    evidence_ids: list[str] = Field(description="ids of the events of `evidence` (GET "
                                                "/api/events/{id} reads one)")


class StancesLeanOut(Out):
    """`/api/stances` without an actor (a matrix), unless `evidence=full` is asked."""

    as_of: str
    known_at: str
    stances: list[StanceLeanOut]


class ChangeOut(Out):
    actor: str | None
    since: str | None
    last_stated: str | None
    stance: str
    certain: bool
    conditions: list[ConditionOut]
    evidence: list[EvidenceOut]


class HistoryOut(Out):
    actor: str
    topic: str
    speaker: str | None
    known_at: str
    changes: list[ChangeOut]


class BriefOut(Out):
    stance: str
    since: str | None
    last_stated: str | None
    certain: bool
    possible: list[str]
    conditions: list[ConditionOut]


class MoveOut(Out):
    actor: str
    topic: str
    before: BriefOut
    after: BriefOut
    evidence: list[EvidenceOut]


class ChangesOut(Out):
    from_: str = Field(validation_alias="from_", serialization_alias="from")
    to: str
    known_at: str
    changes: list[MoveOut]


class ClaimOut(Out):
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
    url: str | None
    verified: bool
    disputed: bool
    note: str | None
    certain: bool = Field(description="false while the claim's date span is still under way "
                                      "at `as_of` (it may not have been made yet)")


class ClaimsOut(Out):
    subject: str | None
    as_of: str
    known_at: str
    claims: list[ClaimOut]


class ActorOut(Out):
    actor: str
    name: str
    kind: str
    aliases: list[str]
    represents: str | None
    members: list[str]


class ActorsOut(Out):
    actors: list[ActorOut]


class ActorDetailOut(ActorOut):
    stances: list[StanceOut]


class TopicOut(Out):
    topic: str
    title: str
    description: str


class TopicsOut(Out):
    topics: list[TopicOut]


class DocumentOut(Out):
    document: str
    title: str
    publisher: str | None
    url: str | None
    published: str | None = Field(description="EDTF: its form is its precision (YYYY, "
                                              "YYYY-MM or YYYY-MM-DD)")
    language: str | None
    text_sha256: str
    position: int = Field(description="the position of the event that registered it")


class DocumentsOut(Out):
    documents: list[DocumentOut]


class CitingOut(Out):
    id: str
    position: int
    type: str
    occurred: str | None
    actor: str | None
    topic: str | None
    quote: str | None = Field(description="the passage it quotes (`source.quote`)")
    verified: bool


class DocumentDetailOut(Out):
    document: DocumentOut
    text: str
    cited_by: list[CitingOut]

    @classmethod
    def shape(cls, answer: Any) -> dict[str, Any]:
        """The answer's events as their citations."""
        return {"document": answer.document, "text": answer.text,
                "cited_by": [{"id": e.id, "position": e.position, "type": e.type,
                              "occurred": e.occurred, "actor": e.actor, "topic": e.topic,
                              "quote": (e.source or {}).get("quote"),
                              "verified": bool((e.source or {}).get("verified"))}
                             for e in answer.cited_by]}


class PanelRowOut(Out):
    period: str = Field(description="the period: `2025-02` (month), `2025-Q1` (quarter), "
                                    "`2025` (year)")
    period_end: str = Field(description="the day the stance is taken as of: the period's last "
                                        "day (the last period's: `to`)")
    actor: str
    topic: str
    stance: str
    certain: bool
    possible: list[str]
    since: str | None


class PanelOut(Out):
    topic: str | None
    from_: str = Field(validation_alias="from_", serialization_alias="from")
    to: str
    every: str
    known_at: str
    rows: list[PanelRowOut]


# Each typed answer of the service and the response model that shapes it on the wire.
SHAPES: dict[type[Any], type[Out]] = {
    StancesAnswer: StancesOut,
    HistoryAnswer: HistoryOut,
    ChangesAnswer: ChangesOut,
    ClaimsAnswer: ClaimsOut,
    ActorsAnswer: ActorsOut,
    ActorAnswer: ActorDetailOut,
    TopicsAnswer: TopicsOut,
    PanelAnswer: PanelOut,
}


def to_wire(answer: Answer) -> dict[str, Any]:
    """An answer as the JSON-ready value its route answers (for the CLI's `--json`)."""
    return SHAPES[type(answer)].wire(answer)
