"""Projections as plain functions of the events: the reference every store must agree with.

As-of semantics (DESIGN §4), for an answer "as of V, known at K":
- only events recorded at or before K count, less those retracted or superseded by an event
  recorded at or before K (so "what we knew then" stays answerable);
- an event whose date span ends on or before V counts; the deciding stance is the latest of
  those by (occurred_start, position);
- one whose span starts on or before V but ends after it *may* count: the answer is then
  `certain: false` and `possible` lists the stances it may already be.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from stanceline.domain.directory import ActorEntry, TopicEntry
from stanceline.domain.events import RecordedEvent
from stanceline.domain.payloads import UNKNOWN

STANCE = "stance.declared"
CLAIM = "claim.made"
RETRACTION = "event.retracted"
# The longest span an `occurred` can have (a leap year): only a stance dated within this
# window before V can still be in progress at V.
LONGEST_SPAN = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why we think so: the event, its date as written and as resolved, its quote and source;
    `counts` says whether it decides the answer (`certain`) or only may (`possible`)."""

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


@dataclass(slots=True)
class Stance:
    """An actor's stance on a topic as of a date, known at a time, with its evidence."""

    actor: str
    topic: str
    stance: str
    since: str | None
    certain: bool
    possible: list[str]
    conditions: list[str]
    evidence: list[Evidence]


@dataclass(slots=True)
class Change:
    """One change of stance in an actor's history on a topic."""

    since: str | None
    stance: str
    certain: bool
    conditions: list[str]
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Claim:
    """One number claimed (`claim.made`): by whom, about what, when, and from which source."""

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


def evidence(event: RecordedEvent, counts: str = "certain") -> Evidence:
    """The evidence an event gives (`counts`: "certain" if it decides, else "possible")."""
    source = event.source or {}
    data = event.data
    return Evidence(
        id=event.id, position=event.position, type=event.type,
        stance=data.get("stance"), occurred=event.occurred,
        occurred_text=event.occurred_text, relative_to=event.relative_to,
        speaker=data.get("speaker"), summary=data.get("summary"),
        quote=source.get("quote"), document=source.get("document"),
        disputed=event.disputed, note=event.note, counts=counts,
    )


def retraction_target(event: RecordedEvent) -> str | None:
    """The event this one voids: a retraction's target, or the event it supersedes (None: it
    voids nothing). The one statement of the rule: the folds, the stores' void tables and the
    page's "retracted by" all ask it."""
    if event.type == RETRACTION:
        target = event.data.get("target")
        return None if target is None else str(target)
    return event.supersedes


def voided_at(events: Iterable[RecordedEvent]) -> dict[str, datetime]:
    """When each retracted or superseded event stopped counting (its first void's recording)."""
    voids: dict[str, datetime] = {}
    for event in events:
        target = retraction_target(event)
        if target is not None and target not in voids:
            voids[target] = event.recorded_at
    return voids


def counts_at(event: RecordedEvent, known_at: datetime | None,
              voids: dict[str, datetime]) -> bool:
    """Whether an event is part of what was known at `known_at` (None: now)."""
    if known_at is not None and event.recorded_at > known_at:
        return False
    void = voids.get(event.id)
    return void is None or (known_at is not None and void > known_at)


def decide(actor: str, topic: str, as_of: date, decider: RecordedEvent | None,
           maybes: Sequence[RecordedEvent]) -> Stance:
    """The answer from the deciding event and the events that may already count at V."""
    stance = UNKNOWN if decider is None else str(decider.data["stance"])
    possible: list[str] = []
    in_order = sorted(maybes, key=lambda e: (e.occurred_start or as_of, e.position))
    for event in in_order:
        value = str(event.data["stance"])
        if value != stance and value not in possible:
            possible.append(value)
    found = [] if decider is None else [evidence(decider)]
    found += [evidence(e, "possible") for e in in_order if str(e.data["stance"]) in possible]
    return Stance(actor, topic, stance, None if decider is None else decider.occurred,
                  certain=not possible, possible=possible,
                  conditions=[] if decider is None else list(decider.data.get("conditions", [])),
                  evidence=found)


def stance_as_of(events: Iterable[RecordedEvent], actor: str, topic: str, as_of: date,
                 known_at: datetime | None = None) -> Stance:
    """The pure fold: an actor's stance on a topic as of `as_of`, known at `known_at`."""
    log = list(events)
    voids = voided_at(e for e in log if known_at is None or e.recorded_at <= known_at)
    decider: RecordedEvent | None = None
    maybes: list[RecordedEvent] = []
    for event in log:
        if (event.type != STANCE or event.actor != actor or event.topic != topic
                or event.occurred_start is None or event.occurred_end is None
                or event.occurred_start > as_of or not counts_at(event, known_at, voids)):
            continue
        if event.occurred_end > as_of:
            maybes.append(event)
        elif decider is None or (event.occurred_start, event.position) > (
                decider.occurred_start or as_of, decider.position):
            decider = event
    return decide(actor, topic, as_of, decider, maybes)


def history(events: Iterable[RecordedEvent], actor: str, topic: str,
            known_at: datetime | None = None) -> list[Change]:
    """Each change of stance, in date order; a change is uncertain if its date span overlaps
    the previous change's (their order is then not known)."""
    log = list(events)
    voids = voided_at(e for e in log if known_at is None or e.recorded_at <= known_at)
    stances = sorted((e for e in log if e.type == STANCE and e.actor == actor
                      and e.topic == topic and e.occurred_start is not None
                      and counts_at(e, known_at, voids)),
                     key=lambda e: (e.occurred_start, e.position))
    return changes_of(stances)


def changes_of(stances: Sequence[RecordedEvent]) -> list[Change]:
    """Collapse stance events (in date order) into the changes they make."""
    changes: list[Change] = []
    previous: RecordedEvent | None = None
    for event in stances:
        value = str(event.data["stance"])
        conditions = list(event.data.get("conditions", []))
        if changes and changes[-1].stance == value and changes[-1].conditions == conditions:
            changes[-1].evidence.append(evidence(event))
            previous = event
            continue
        overlaps = (previous is not None and previous.occurred_end is not None
                    and event.occurred_start is not None
                    and event.occurred_start <= previous.occurred_end)
        changes.append(Change(event.occurred, value, not overlaps, conditions,
                              [evidence(event)]))
        previous = event
    return changes


def stance_pairs(events: Iterable[RecordedEvent], actor: str | None = None,
                 topic: str | None = None) -> list[tuple[str, str]]:
    """Every (actor, topic) with a stance event in the log, sorted."""
    return sorted({(str(e.actor), str(e.topic)) for e in events
                   if e.type == STANCE and (actor is None or e.actor == actor)
                   and (topic is None or e.topic == topic)})


def claims(events: Iterable[RecordedEvent], subject: str | None, as_of: date | None,
           known_at: datetime | None = None) -> list[RecordedEvent]:
    """Claims (about `subject`, or all) dated on or before `as_of`, in date order."""
    log = list(events)
    voids = voided_at(e for e in log if known_at is None or e.recorded_at <= known_at)
    found = [e for e in log if e.type == CLAIM
             and (subject is None or e.data.get("subject") == subject)
             and (as_of is None or (e.occurred_start is not None and e.occurred_start <= as_of))
             and counts_at(e, known_at, voids)]
    return sorted(found, key=lambda e: (e.occurred_start or date.min, e.position))


def claim_of(event: RecordedEvent) -> Claim:
    """The claim a `claim.made` event makes."""
    data, source = event.data, event.source or {}
    return Claim(id=event.id, actor=data.get("actor"), speaker=data.get("speaker"),
                 subject=data.get("subject"), value=data.get("value"), low=data.get("low"),
                 high=data.get("high"), unit=data.get("unit"),
                 qualifier=data.get("qualifier"), occurred=event.occurred,
                 occurred_text=event.occurred_text, summary=data.get("summary"),
                 quote=source.get("quote"), document=source.get("document"),
                 disputed=event.disputed, note=event.note)


def actor_directory(events: Iterable[RecordedEvent]) -> list[ActorEntry]:
    """Registered actors, the latest registration of each winning."""
    found: dict[str, ActorEntry] = {}
    for event in events:
        if event.type == "actor.registered":
            data = event.data
            found[data["actor"]] = ActorEntry(
                actor=data["actor"], name=data["name"], kind=data["kind"],
                aliases=tuple(data["aliases"]), represents=data["represents"],
                members=tuple(data["members"]))
    return list(found.values())


def topic_directory(events: Iterable[RecordedEvent]) -> list[TopicEntry]:
    """Defined topics, in the order they were first defined."""
    found: dict[str, TopicEntry] = {}
    first: dict[str, int] = {}
    for event in events:
        if event.type == "topic.defined":
            data = event.data
            first.setdefault(data["topic"], event.position)
            found[data["topic"]] = TopicEntry(topic=data["topic"], title=data["title"],
                                              description=data["description"])
    return [found[t] for t in sorted(found, key=lambda t: first[t])]
