"""The event: its input form (validated in one pass), and the envelope the log stores."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stanceline import dates
from stanceline.dates import DateSpan, OpenSpan, parse_date, parse_edtf
from stanceline.domain import jsontext
from stanceline.domain.digest import content_digest
from stanceline.domain.payloads import (
    PAYLOADS,
    REGISTRY_TYPES,
    ActorRegistered,
    ActorUpdated,
    AgreementSigned,
    ClaimMade,
    DocumentRegistered,
    EventRetracted,
    Meeting,
    Payload,
    StanceDeclared,
    StatementMade,
    TopicDefined,
    TopicUpdated,
)
from stanceline.domain.quotes import normalised_in
from stanceline.domain.references import named
from stanceline.errors import InvalidDate

StreamName = Annotated[
    str, StringConstraints(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9:._-]*$")
]
DateText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# Validation context: the caller saw no `\u0000` in the JSON text (the only way JSON can
# carry a NUL), so the walk looking for one is skipped.
NUL_FREE = "nul_free"


class Source(BaseModel):
    """Where an event comes from: a `document` (registered or not) or a `url` identifies it;
    `quote` is verbatim. Whether the quote was checked against a registered document's text
    (`verified`) is the store's finding, never the client's say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    document: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    publisher: Annotated[str, StringConstraints(max_length=200)] | None = None
    published: Annotated[str, StringConstraints(max_length=40)] | None = None
    quote: Annotated[str, StringConstraints(min_length=1, max_length=4000)]

    @model_validator(mode="after")
    def _identified(self) -> Source:
        if self.document is None and self.url is None:
            raise ValueError("a source needs a `document` or a `url` (either suffices)")
        return self

    @field_validator("published")
    @classmethod
    def _published_date(cls, value: str | None) -> str | None:
        # `reported_by` reads compare this date: one that cannot be read (2025-02-30) or
        # lies outside the calendar the log keeps would break those reads for good.
        span = None if value is None else parse_edtf(value)
        if span is not None and (wide := dates.out_of_range(span.start, span.end)):
            raise ValueError(f"`published` is {wide}")
        return value


class _EventInBase(BaseModel):
    """Fields shared by every event's input form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID | None = None
    # None: the type's current version (the only one accepted on input).
    schema_version: int | None = None
    stream: StreamName | None = None
    occurred: DateText | None = None
    occurred_text: Annotated[str, StringConstraints(max_length=200)] | None = None
    relative_to: DateText | None = None
    source: Source | None = None
    supersedes: uuid.UUID | None = None
    disputed: bool = False
    note: Annotated[str, StringConstraints(max_length=4000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, raw: Any, info: ValidationInfo) -> Any:
        # PostgreSQL cannot store a NUL character in text (SQLite can): refused on both, so
        # that every log, and every backup of one, moves between the engines.
        if info.context is not None and info.context.get(NUL_FREE):
            return raw
        where = _nul_at(raw, "")
        if where is not None:
            where = where.replace("\x00", "\\x00")
            raise ValueError(f"`{where or 'the event'}` holds a NUL character (\\x00), "
                             "which the log cannot store")
        return raw

    @model_validator(mode="after")
    def _check_envelope(self) -> _EventInBase:
        type_name: str = getattr(self, "type")  # noqa: B009 - defined by every subclass
        current, _ = PAYLOADS[type_name]
        if self.schema_version is not None and self.schema_version != current:
            raise ValueError(f"schema_version {self.schema_version} of {type_name} is not "
                             f"accepted on input; the current version is {current}")
        if type_name in REGISTRY_TYPES or type_name == "event.retracted":
            return self
        if self.occurred is None and not self.occurred_text:
            raise ValueError(f"{type_name} needs `occurred` (YYYY, YYYY-MM or YYYY-MM-DD) "
                             "or `occurred_text`")
        if self.source is None:
            raise ValueError(f"{type_name} needs a `source` with a verbatim `quote`")
        return self


def _nul_at(value: Any, path: str) -> str | None:
    """The path of the first string (or key) in `value` that holds a NUL, else None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                return inner
            found = _nul_at(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _nul_at(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


class ActorRegisteredIn(_EventInBase):
    type: Literal["actor.registered"]
    data: ActorRegistered


class ActorUpdatedIn(_EventInBase):
    type: Literal["actor.updated"]
    data: ActorUpdated


class TopicDefinedIn(_EventInBase):
    type: Literal["topic.defined"]
    data: TopicDefined


class TopicUpdatedIn(_EventInBase):
    type: Literal["topic.updated"]
    data: TopicUpdated


class DocumentRegisteredIn(_EventInBase):
    type: Literal["document.registered"]
    data: DocumentRegistered


class StanceDeclaredIn(_EventInBase):
    type: Literal["stance.declared"]
    data: StanceDeclared


class ClaimMadeIn(_EventInBase):
    type: Literal["claim.made"]
    data: ClaimMade


class MeetingHeldIn(_EventInBase):
    type: Literal["meeting.held"]
    data: Meeting


class MeetingScheduledIn(_EventInBase):
    type: Literal["meeting.scheduled"]
    data: Meeting


class AgreementSignedIn(_EventInBase):
    type: Literal["agreement.signed"]
    data: AgreementSigned


class StatementMadeIn(_EventInBase):
    type: Literal["statement.made"]
    data: StatementMade


class EventRetractedIn(_EventInBase):
    type: Literal["event.retracted"]
    data: EventRetracted


EventIn = Annotated[
    ActorRegisteredIn
    | ActorUpdatedIn
    | TopicDefinedIn
    | TopicUpdatedIn
    | DocumentRegisteredIn
    | StanceDeclaredIn
    | ClaimMadeIn
    | MeetingHeldIn
    | MeetingScheduledIn
    | AgreementSignedIn
    | StatementMadeIn
    | EventRetractedIn,
    Field(discriminator="type"),
]
EVENT_IN: TypeAdapter[EventIn] = TypeAdapter(EventIn)
EVENT_BATCH_IN: TypeAdapter[list[EventIn]] = TypeAdapter(list[EventIn])


# Events are values and never mutated after construction, but not `frozen=True`: a frozen
# dataclass of this width costs 10x as much to build (1.5 us vs 0.15 us), on the hot path.
@dataclass(slots=True)
class PreparedEvent:
    """A validated event with its derived fields, ready for a store to number and chain."""

    id: str
    type: str
    schema_version: int
    stream: str
    occurred: str | None
    occurred_start: date | None
    occurred_end: date | None
    precision: str | None
    occurred_text: str | None
    relative_to: str | None
    data: dict[str, Any]
    source: dict[str, Any] | None
    supersedes: str | None
    disputed: bool
    note: str | None
    # The canonical JSON of `data` and `source`: stored and hashed exactly as written here.
    data_json: str
    source_json: str | None
    # Denormalised from `data` so the log can be queried by actor and topic with an index.
    actor: str | None
    topic: str | None
    # The id's 16 bytes: stores index this compact form (parsed once, here).
    key: bytes
    # The name of the write token that appended it (None: no named token).
    recorded_by: str | None = None
    # Where it was read from ("file.jsonl:12"), for errors found later; not stored.
    origin: str = ""
    # The content digest the hash chain links (computed once, here).
    digest: str = ""
    # (path, kind, id) of every actor and topic `data` names (`references.named`), found
    # once, where the event is prepared, for the store's lookups and checks alike.
    references: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.digest:
            self.digest = content_digest(self)

    def __reduce__(self) -> tuple[Callable[..., PreparedEvent], tuple[Any, ...]]:
        # `load` ships batches from its validating process: a tuple pickles 3x faster than
        # the default per-field state.
        return (PreparedEvent, _prepared_fields(self))

    def same_as(self, other: PreparedEvent | RecordedEvent) -> bool:
        """Whether two events carry the same content (for idempotent replays by id)."""
        theirs = other.digest if isinstance(other, PreparedEvent) else content_digest(other)
        return self.digest == theirs


_prepared_fields = attrgetter(*(f.name for f in fields(PreparedEvent)))


@dataclass(slots=True)
class RecordedEvent:
    """The stored envelope: a prepared event with its position, version, time and hash."""

    position: int
    id: str
    stream: str
    version: int
    type: str
    schema_version: int
    occurred: str | None
    occurred_start: date | None
    occurred_end: date | None
    precision: str | None
    occurred_text: str | None
    relative_to: str | None
    recorded_at: datetime
    data: dict[str, Any]
    source: dict[str, Any] | None
    supersedes: str | None
    disputed: bool
    note: str | None
    data_json: str = field(compare=False)
    source_json: str | None = field(compare=False)
    hash: str
    prev_hash: str
    actor: str | None = field(default=None, compare=False)
    topic: str | None = field(default=None, compare=False)
    key: bytes = field(default=b"", compare=False)
    recorded_by: str | None = None

    def envelope(self) -> dict[str, Any]:
        """The envelope as JSON-ready data, the form the API returns and the chain hashes."""
        return {
            "position": self.position,
            "id": self.id,
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "schema_version": self.schema_version,
            "occurred": self.occurred,
            "occurred_start": _iso(self.occurred_start),
            "occurred_end": _iso(self.occurred_end),
            "precision": self.precision,
            "occurred_text": self.occurred_text,
            "relative_to": self.relative_to,
            "recorded_at": format_timestamp(self.recorded_at),
            "data": self.data,
            "source": self.source,
            "supersedes": self.supersedes,
            "disputed": self.disputed,
            "note": self.note,
            "recorded_by": self.recorded_by,
            "hash": self.hash,
            "prev_hash": self.prev_hash,
        }


def compact_json(value: dict[str, Any]) -> str:
    """The stored form of `data` and `source`: key order kept, no spaces, unescaped UTF-8."""
    return jsontext.dumps(value)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def format_timestamp(moment: datetime) -> str:
    """UTC timestamps are always written `YYYY-MM-DDTHH:MM:SS.ffffffZ` (hashed, so exact)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime:
    """The current UTC time, truncated to what every engine stores exactly (microseconds)."""
    return datetime.now(UTC)


def default_stream(type_name: str, data: Payload) -> str:
    """Stance, claim and statement events go to `actor:<actor>` unless the client names one."""
    actor = getattr(data, "actor", None)
    if actor is not None:
        return f"actor:{actor}"
    if isinstance(data, TopicDefined | TopicUpdated):
        return f"topic:{data.topic}"
    if isinstance(data, DocumentRegistered):
        return f"document:{data.document}"
    if type_name == "event.retracted":
        return "corrections"
    return "world"


@lru_cache(maxsize=65_536)
def _span(occurred: str | None, occurred_text: str | None, relative_to: str | None,
          today: date | None) -> DateSpan | OpenSpan | None:
    """The span of an event's date, cached: a load parses the same few expressions many times.

    Every input the answer depends on is in the key: `today` is given (by `_event_span`)
    exactly when a text with no `relative_to` is resolved against it, so a process running
    past midnight gets new entries instead of the day an entry was first made.
    """
    # Checked here, whatever else is given, so the cache answers for it too.
    reference = None if relative_to is None else parse_edtf(relative_to)
    if relative_to is not None and reference is None:
        raise InvalidDate(relative_to, "`relative_to` takes YYYY, YYYY-MM or YYYY-MM-DD")
    if reference is not None and (wide := dates.out_of_range(reference.start, reference.end)):
        raise InvalidDate(relative_to or "", f"`relative_to` is {wide}")
    span: DateSpan | OpenSpan | None
    if occurred is not None:
        span = parse_edtf(occurred) or dates.parse_open_edtf(occurred)
        if span is None:
            raise InvalidDate(occurred, "`occurred` takes YYYY, YYYY-MM or YYYY-MM-DD, or "
                                        "../YYYY-MM-DD for an open start (on or before); "
                                        "put free text in `occurred_text`")
    elif occurred_text:
        ref = today if reference is None else reference.end
        try:
            span = parse_date(occurred_text, ref)
        except InvalidDate:
            # "previously", "by March": known only to have happened on or before a date.
            open_span = None
            with contextlib.suppress(InvalidDate):
                open_span = dates.parse_open_date(occurred_text, ref)
            if open_span is None:
                raise
            span = open_span
    else:
        return None
    return _in_range(span, occurred if occurred is not None else occurred_text or "")


def _in_range(span: DateSpan | OpenSpan, text: str) -> DateSpan | OpenSpan:
    # Refused on the way in: a date near the ends of the calendar once broke every read of
    # the log for good (span arithmetic overflowed), and the log cannot be edited.
    wide = dates.out_of_range(span.start, span.end)
    if wide is not None:
        raise InvalidDate(text, wide)
    return span


def _event_span(event: EventIn) -> DateSpan | OpenSpan | None:
    # Today is read (not cached) only when it is the reference: no `occurred`, no `relative_to`.
    relative_to_today = event.occurred is None and event.relative_to is None
    return _span(event.occurred, event.occurred_text, event.relative_to,
                 dates.today() if relative_to_today else None)


def prepare(event: EventIn, *, recorded_by: str | None = None,
            texts: Mapping[str, str] | None = None) -> PreparedEvent:
    """Derive what the store needs from a validated input event (its date span, its stream).

    `texts` maps registered documents to their normalised text: a quote found in its
    document's is marked `verified` (the store checks the mark again when it appends).
    """
    data = event.data
    uid = event.id or uuid.uuid4()
    # An update stores only the fields it names: that is what it changes.
    data_dict = data.model_dump(mode="json",
                                exclude_unset=isinstance(data, ActorUpdated | TopicUpdated))
    source = None
    if event.source is not None:
        source = event.source.model_dump(mode="json")
        source["verified"] = verified(source, texts or {})
    span = _event_span(event)
    return PreparedEvent(
        id=str(uid),
        type=event.type,
        schema_version=event.schema_version or PAYLOADS[event.type][0],
        stream=event.stream or default_stream(event.type, data),
        occurred=None if span is None else span.edtf,
        occurred_start=None if span is None else span.start,
        occurred_end=None if span is None else span.end,
        precision=None if span is None else span.precision.value,
        occurred_text=event.occurred_text,
        relative_to=event.relative_to,
        data=data_dict,
        source=source,
        supersedes=None if event.supersedes is None else str(event.supersedes),
        disputed=event.disputed,
        note=event.note,
        # The chain hashes these exact bytes as stored; writing them with the same function an
        # import uses on an exported dict makes export -> import reproduce them exactly.
        data_json=compact_json(data_dict),
        source_json=None if source is None else compact_json(source),
        actor=getattr(data, "actor", None),
        topic=getattr(data, "topic", None),
        key=uid.bytes,
        recorded_by=recorded_by,
        references=tuple(named(event.type, data_dict)),
    )


def verified(source: Mapping[str, Any], texts: Mapping[str, str]) -> bool:
    """Whether a source's quote is in the normalised text of the registered document it cites."""
    text = texts.get(source.get("document") or "")
    return text is not None and normalised_in(source["quote"], text)


def event_actors(event: RecordedEvent) -> list[str]:
    """The actors an event names that the as-of index does not already find it by."""
    if event.type == "stance.declared":
        speaker = event.data.get("speaker")
        return [] if speaker is None or speaker == event.actor else [speaker]
    names = referenced_actors(event.type, event.data)
    if event.actor is not None:
        names.insert(0, event.actor)
    return list(dict.fromkeys(names))


def referenced_actors(type_name: str, data: dict[str, Any]) -> list[str]:
    """Every actor an event names besides its main `actor` (speakers, participants, members)."""
    refs: list[str] = []
    speaker = data.get("speaker")
    if speaker:
        refs.append(speaker)
    for key in ("participants", "signatories", "members"):
        refs.extend(data.get(key) or ())
    if type_name == "actor.registered" and data.get("represents"):
        refs.append(data["represents"])
    return refs


def from_envelope(envelope: dict[str, Any]) -> RecordedEvent:
    """An exported envelope back into an event (for `import`); the chain check follows."""
    data = envelope["data"]
    source = envelope["source"]
    start, end = envelope["occurred_start"], envelope["occurred_end"]
    moment = datetime.fromisoformat(envelope["recorded_at"].replace("Z", "+00:00"))
    event_id = str(uuid.UUID(envelope["id"]))
    return RecordedEvent(
        position=int(envelope["position"]), id=event_id, stream=envelope["stream"],
        version=int(envelope["version"]), type=envelope["type"],
        schema_version=int(envelope["schema_version"]), occurred=envelope["occurred"],
        occurred_start=None if start is None else date.fromisoformat(start),
        occurred_end=None if end is None else date.fromisoformat(end),
        precision=envelope["precision"], occurred_text=envelope["occurred_text"],
        relative_to=envelope["relative_to"], recorded_at=moment.astimezone(UTC), data=data,
        source=source, supersedes=envelope["supersedes"], disputed=bool(envelope["disputed"]),
        note=envelope["note"], data_json=compact_json(data),
        source_json=None if source is None else compact_json(source), hash=envelope["hash"],
        prev_hash=envelope["prev_hash"], actor=data.get("actor"), topic=data.get("topic"),
        key=uuid.UUID(event_id).bytes, recorded_by=envelope.get("recorded_by"),
    )
