"""The payload model of every event type (v1), and the registry that maps type names to them."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from stanceline.domain.names import fold

# Identifiers are lowercase slugs or ISO alpha-3 codes: `gbr`, `keir-starmer`.
IDENT_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Ident = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=IDENT_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=4000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]
# The directory stores names and aliases folded (domain/names.py) in a column of this width.
FOLDED_MAX = 300


def _folds_within(name: str) -> str:
    # Folding can lengthen a name ("ß" -> "ss", "ﷺ" -> 18 letters): the folded form is the
    # one that must fit, so it is the one checked.
    if len(fold(name)) > FOLDED_MAX:
        raise ValueError(f"folded (case and accents removed) it is longer than "
                         f"{FOLDED_MAX} characters")
    return name


ActorName = Annotated[ShortText, AfterValidator(_folds_within)]
# Claimed figures are finite and of a size some count could have: NaN, infinities (JSON
# `1e999` reads as one) and absurd magnitudes are refused rather than stored for good.
CLAIM_MAX = 1e12
Figure = Annotated[float, Field(allow_inf_nan=False, ge=-CLAIM_MAX, le=CLAIM_MAX)]


class StanceValue(StrEnum):
    """A declared stance; projections answer `unknown` where no event says anything."""

    SUPPORTS = "supports"
    OPPOSES = "opposes"
    CONDITIONAL = "conditional"
    UNDECIDED = "undecided"


UNKNOWN = "unknown"


class Payload(BaseModel):
    """Base of the payload models: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ActorRegistered(Payload):
    actor: Ident
    name: ActorName
    kind: Literal["country", "person", "organisation", "group"]
    aliases: list[ActorName] = Field(default_factory=list, max_length=100)
    members: list[Ident] = Field(default_factory=list, max_length=500)
    represents: Ident | None = None


class ActorUpdated(Payload):
    """A change to a registered actor: only the fields given change (a list is replaced)."""

    actor: Ident
    name: ActorName | None = None
    kind: Literal["country", "person", "organisation", "group"] | None = None
    aliases: list[ActorName] | None = Field(default=None, max_length=100)
    members: list[Ident] | None = Field(default=None, max_length=500)
    represents: Ident | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> ActorUpdated:
        named = self.model_fields_set - {"actor"}
        if not named:
            raise ValueError("an update names at least one field to change")
        cleared = sorted(k for k in named - {"represents"} if getattr(self, k) is None)
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be cleared (only `represents` can "
                             "be set to null)")
        return self


class TopicDefined(Payload):
    topic: Ident
    title: ShortText
    description: Text = ""


class TopicUpdated(Payload):
    """A change to a defined topic: only the fields given change."""

    topic: Ident
    title: ShortText | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> TopicUpdated:
        named = self.model_fields_set - {"topic"}
        if not named:
            raise ValueError("an update names at least one field to change")
        if "title" in named and self.title is None:
            raise ValueError("title cannot be cleared")
        return self


# A registered source's text: large enough for a long article, bounded for the request limit.
DocumentText = Annotated[str, StringConstraints(min_length=1, max_length=500_000)]
SHA256 = r"^[0-9a-f]{64}$"
EDTF_DAY = r"^\d{4}(-\d{2}(-\d{2})?)?$"
Sha256 = Annotated[str, StringConstraints(pattern=SHA256)]
EdtfDay = Annotated[str, StringConstraints(pattern=EDTF_DAY)]
DocumentId = Annotated[str, StringConstraints(min_length=1, max_length=200,
                                               pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class DocumentRegistered(Payload):
    """A source document with its text, so quotes citing it are checked against the text.

    `text_sha256` is computed when absent and checked when given: the chain covers the
    event, so the digest pins the text.
    """

    document: DocumentId
    title: ShortText
    publisher: ShortText | None = None
    url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    # EDTF (YYYY, YYYY-MM, YYYY-MM-DD): the precision is the form's.
    published: EdtfDay | None = None
    language: Annotated[str, StringConstraints(min_length=2, max_length=20)] | None = None
    text: DocumentText
    text_sha256: Sha256 | None = None

    @model_validator(mode="after")
    def _digest(self) -> DocumentRegistered:
        actual = hashlib.sha256(self.text.encode()).hexdigest()
        if self.text_sha256 is None:
            object.__setattr__(self, "text_sha256", actual)
        elif self.text_sha256 != actual:
            raise ValueError(f"`text_sha256` {self.text_sha256} is not the SHA-256 of `text` "
                             f"({actual})")
        return self


class Condition(Payload):
    """What a conditional stance depends on (a topic id) and the words the source uses."""

    on: Ident
    text: ShortText


class StanceDeclared(Payload):
    """Schema version 2: conditions name their topic; `dropped` withdraws earlier ones."""

    actor: Ident
    topic: Ident
    stance: StanceValue
    conditions: list[Condition] = Field(default_factory=list, max_length=50)
    dropped: list[Ident] = Field(default_factory=list, max_length=50)
    speaker: Ident | None = None
    summary: Text = ""


class ClaimMade(Payload):
    # Whoever put the figure forward; None where the text does not say (not the reporter).
    actor: Ident | None = None
    speaker: Ident | None = None
    subject: Ident
    value: Figure | None = None
    low: Figure | None = None
    high: Figure | None = None
    unit: ShortText | None = None
    qualifier: ShortText | None = None
    topic: Ident | None = None
    summary: Text = ""

    @model_validator(mode="after")
    def _value_or_range(self) -> ClaimMade:
        if self.value is None and self.low is None and self.high is None:
            raise ValueError("a claim needs `value` or `low`/`high`")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("`low` must not exceed `high`")
        return self


class Meeting(Payload):
    title: ShortText
    participants: list[Ident] = Field(default_factory=list, max_length=200)
    place: ShortText | None = None
    summary: Text = ""


class AgreementSigned(Payload):
    title: ShortText
    signatories: list[Ident] = Field(default_factory=list, max_length=200)
    summary: Text = ""


class StatementMade(Payload):
    actor: Ident
    speaker: Ident | None = None
    topic: Ident | None = None
    summary: Text = ""


class EventRetracted(Payload):
    target: UUID
    reason: Text = ""


# type name -> (current schema version, payload model)
PAYLOADS: dict[str, tuple[int, type[Payload]]] = {
    "actor.registered": (1, ActorRegistered),
    "actor.updated": (1, ActorUpdated),
    "topic.defined": (1, TopicDefined),
    "topic.updated": (1, TopicUpdated),
    "document.registered": (1, DocumentRegistered),
    "stance.declared": (2, StanceDeclared),
    "claim.made": (1, ClaimMade),
    "meeting.held": (1, Meeting),
    "meeting.scheduled": (1, Meeting),
    "agreement.signed": (1, AgreementSigned),
    "statement.made": (1, StatementMade),
    "event.retracted": (1, EventRetracted),
}

# Types that describe the registry rather than the world: they need no date or source.
REGISTRY_TYPES = frozenset({"actor.registered", "actor.updated", "topic.defined",
                            "topic.updated", "document.registered"})
