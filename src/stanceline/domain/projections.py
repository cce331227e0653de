"""Projections as plain functions of the events: the reference every store must agree with.

As-of semantics (DESIGN §4), for an answer "as of V, known at K":
- only events recorded at or before K count, less those retracted or superseded by an event
  recorded at or before K (so "what we knew then" stays answerable);
- an event whose date span ends on or before V counts; one whose span starts on or before V
  (or has an open start) but ends after it *may* count: the answer is then `certain: false`
  and `possible` lists the stances it may already be;
- the counting events, in `runs.order_key` order, fold into runs of one stance and one set of
  conditions (domain/runs.py): the latest run is the answer, its first event `since`, its last
  `last_stated`;
- a person's answer counts only the events they voiced; `reported` counts only what had been
  published by then (domain/counting.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from stanceline.domain import registry
from stanceline.domain.counting import Counts, combine, counts_on, reported_by
from stanceline.domain.directory import ActorEntry, TopicEntry
from stanceline.domain.events import RecordedEvent
from stanceline.domain.payloads import UNKNOWN
from stanceline.domain.runs import Run, fold_runs, latest_run, order_key, streak_start

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
    url: str | None
    # Whether the quote was found in the registered document's text when it was appended.
    verified: bool
    disputed: bool
    note: str | None
    counts: str


@dataclass(frozen=True, slots=True)
class HeldConditionAnswer:
    """One condition a conditional stance depends on, with when it was first and last stated."""

    on: str | None
    text: str
    first_stated: str | None
    last_stated: str | None
    evidence: list[str]


@dataclass(slots=True)
class Stance:
    """An actor's stance on a topic as of a date, known at a time, with its evidence.

    `speaker` is set when the answer counts only the events a person voiced."""

    actor: str
    topic: str
    stance: str
    since: str | None
    certain: bool
    possible: list[str]
    conditions: list[HeldConditionAnswer]
    evidence: list[Evidence]
    last_stated: str | None = None
    speaker: str | None = None

    def condition_keys(self) -> frozenset[str]:
        """The set of conditions, by what they are about (what a change compares)."""
        return frozenset(c.on or f"text:{c.text}" for c in self.conditions)

    @property
    def evidence_ids(self) -> list[str]:
        """The ids of the evidence, in its order (the matrix's lean answer carries only these)."""
        return [e.id for e in self.evidence]


@dataclass(slots=True)
class Change:
    """One change of stance in an actor's history on a topic."""

    since: str | None
    stance: str
    certain: bool
    conditions: list[HeldConditionAnswer]
    evidence: list[Evidence] = field(default_factory=list)
    last_stated: str | None = None
    actor: str | None = None


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
    url: str | None
    verified: bool
    disputed: bool
    note: str | None
    certain: bool = True


def evidence(event: RecordedEvent, counts: str = "certain") -> Evidence:
    """The evidence an event gives (`counts`: "certain" if it decides, else "possible")."""
    source = event.source or {}
    data = event.data
    return Evidence(
        id=event.id, position=event.position, type=event.type,
        stance=data.get("stance"), occurred=event.occurred,
        occurred_text=event.occurred_text, relative_to=event.relative_to,
        speaker=data.get("speaker"), summary=data.get("summary"),
        quote=source.get("quote"), document=source.get("document"), url=source.get("url"),
        verified=bool(source.get("verified")), disputed=event.disputed, note=event.note,
        counts=counts,
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


def _conditions(run: Run) -> list[HeldConditionAnswer]:
    return [HeldConditionAnswer(c.on, c.text, c.first.occurred, c.last.occurred,
                                [e.id for e in c.events]) for c in run.conditions.values()]


def decide(actor: str, topic: str, streak: Sequence[RecordedEvent],
           maybes: Sequence[RecordedEvent], speaker: str | None = None) -> Stance:
    """The answer from the counting events of the latest streak of one stance (oldest first,
    in `order_key` order: what came before a change of stance cannot change the latest run)
    and the events that may already count."""
    run = latest_run(streak)
    stance = UNKNOWN if run is None else run.stance
    possible: list[str] = []
    in_order = sorted(maybes, key=order_key)
    for event in in_order:
        value = str(event.data["stance"])
        if value != stance and value not in possible:
            possible.append(value)
    found = [] if run is None else [evidence(e) for e in run.events]
    found += [evidence(e, "possible") for e in in_order if str(e.data["stance"]) in possible]
    return Stance(actor, topic, stance, None if run is None else run.first.occurred,
                  certain=not possible, possible=possible,
                  conditions=[] if run is None else _conditions(run), evidence=found,
                  last_stated=None if run is None else run.last.occurred, speaker=speaker)


def voiced_by(event: RecordedEvent, speaker: str | None) -> bool:
    """Whether a stance event counts for an answer about what `speaker` said (None: anyone).

    A person answers for what they voiced, and for their own stances whoever reports them."""
    return speaker is None or event.actor == speaker or event.data.get("speaker") == speaker


def split_counting(candidates: Iterable[RecordedEvent], as_of: date, *,
                   speaker: str | None = None, reported: date | None = None
                   ) -> tuple[list[RecordedEvent], list[RecordedEvent]]:
    """A pair's events that count at K, split into those that count at V (in `order_key`
    order) and those that may, by their dates and by when they were reported."""
    certain: list[RecordedEvent] = []
    maybes: list[RecordedEvent] = []
    for event in candidates:
        if not voiced_by(event, speaker):
            continue
        found = combine(counts_on(event.occurred_start, event.occurred_end, as_of),
                        reported_by(event, reported))
        if found is Counts.CERTAIN:
            certain.append(event)
        elif found is Counts.POSSIBLE:
            maybes.append(event)
    certain.sort(key=order_key)
    return certain, maybes


def stance_from(candidates: Iterable[RecordedEvent], actor: str, topic: str, as_of: date, *,
                speaker: str | None = None, reported: date | None = None) -> Stance:
    """The answer from a pair's stance events that count at K, in any order."""
    certain, maybes = split_counting(candidates, as_of, speaker=speaker, reported=reported)
    return decide(actor, topic, certain, maybes, speaker)


def has_ended(event: RecordedEvent, as_of: date) -> bool:
    """Whether a stance event is dated and its span ended by `as_of` (it then counts)."""
    return (event.occurred_start is not None and event.occurred_end is not None
            and event.occurred_end <= as_of)


def from_latest(rows: Iterable[RecordedEvent], actor: str, topic: str, as_of: date) -> Stance:
    """The answer from a pair's counting stance events that reach back at least to the start
    of the latest streak of one stance among those that ended by `as_of` (or all of them),
    plus every event in progress at `as_of` and every open start, in any order.

    A run never spans a change of stance, so the older events cannot change the answer; this
    is what lets a store read only the latest streak of each pair (the as-of probe, the
    matrix) and still agree with the whole fold (`stance_from`)."""
    ended: list[RecordedEvent] = []
    others: list[RecordedEvent] = []
    for event in rows:
        (ended if has_ended(event, as_of) else others).append(event)
    ended.sort(key=order_key, reverse=True)
    # Open starts order before every dated stance, so they come last, newest first.
    certain, maybes = split_counting(others, as_of)
    newest_first = ended + certain[::-1]
    start = streak_start(newest_first)
    streak = newest_first if start is None else newest_first[:start]
    return decide(actor, topic, streak[::-1], maybes)


def pair_counting(events: Iterable[RecordedEvent], actor: str, topic: str,
                  known_at: datetime | None) -> list[RecordedEvent]:
    """The stance events of (actor, topic) that count at K."""
    log = list(events)
    voids = voided_at(e for e in log if known_at is None or e.recorded_at <= known_at)
    return [e for e in log if e.type == STANCE and e.actor == actor and e.topic == topic
            and e.occurred_end is not None and counts_at(e, known_at, voids)]


def stance_as_of(events: Iterable[RecordedEvent], actor: str, topic: str, as_of: date,
                 known_at: datetime | None = None, *, speaker: str | None = None,
                 reported: date | None = None) -> Stance:
    """The pure fold: an actor's stance on a topic as of `as_of`, known at `known_at`,
    counting only what `speaker` voiced and what had been reported by `reported`."""
    return stance_from(pair_counting(events, actor, topic, known_at), actor, topic, as_of,
                       speaker=speaker, reported=reported)


def history(events: Iterable[RecordedEvent], actor: str, topic: str,
            known_at: datetime | None = None, *, speaker: str | None = None) -> list[Change]:
    """Each change of stance, in date order; a change is uncertain if its date span overlaps
    the previous change's (their order is then not known)."""
    return changes_of(pair_counting(events, actor, topic, known_at), speaker)


def changes_of(stances: Iterable[RecordedEvent], speaker: str | None = None) -> list[Change]:
    """Collapse a pair's stance events into the changes they make: one per run."""
    ordered = sorted((e for e in stances if voiced_by(e, speaker)), key=order_key)
    changes: list[Change] = []
    previous: RecordedEvent | None = None
    for run in fold_runs(ordered):
        overlaps = (previous is not None and previous.occurred_end is not None
                    and (run.first.occurred_start is None
                         or run.first.occurred_start <= previous.occurred_end))
        changes.append(Change(run.first.occurred, run.stance, not overlaps, _conditions(run),
                              [evidence(e) for e in run.events], run.last.occurred,
                              run.first.actor))
        previous = run.last
    return changes


def stance_pairs(events: Iterable[RecordedEvent], actor: str | None = None,
                 topic: str | None = None) -> list[tuple[str, str]]:
    """Every (actor, topic) with a stance event that still counts (not retracted), sorted."""
    log = list(events)
    voids = voided_at(log)
    return sorted({(str(e.actor), str(e.topic)) for e in log
                   if e.type == STANCE and (actor is None or e.actor == actor)
                   and (topic is None or e.topic == topic) and e.id not in voids})


def claims(events: Iterable[RecordedEvent], subject: str | None, as_of: date | None,
           known_at: datetime | None = None) -> list[RecordedEvent]:
    """Claims (about `subject`, or all) that count or may count at `as_of`, in date order."""
    log = list(events)
    voids = voided_at(e for e in log if known_at is None or e.recorded_at <= known_at)
    found = [e for e in log if e.type == CLAIM
             and (subject is None or e.data.get("subject") == subject)
             and (as_of is None or counts_on(e.occurred_start, e.occurred_end, as_of) is not None)
             and counts_at(e, known_at, voids)]
    return sorted(found, key=order_key)


def claim_of(event: RecordedEvent, as_of: date | None = None) -> Claim:
    """The claim a `claim.made` event makes; certain once its span has ended by `as_of`."""
    data, source = event.data, event.source or {}
    return Claim(id=event.id, actor=data.get("actor"), speaker=data.get("speaker"),
                 subject=data.get("subject"), value=data.get("value"), low=data.get("low"),
                 high=data.get("high"), unit=data.get("unit"),
                 qualifier=data.get("qualifier"), occurred=event.occurred,
                 occurred_text=event.occurred_text, summary=data.get("summary"),
                 quote=source.get("quote"), document=source.get("document"),
                 url=source.get("url"), verified=bool(source.get("verified")),
                 disputed=event.disputed, note=event.note,
                 certain=as_of is None or counts_on(event.occurred_start, event.occurred_end,
                                                    as_of) is Counts.CERTAIN)


def actor_directory(events: Iterable[RecordedEvent]) -> list[ActorEntry]:
    """Registered actors as the remaining (not retracted) registry events say."""
    found = (registry.fold_actor(entries) for entries in
             _remaining_registry(events, registry.ACTOR_TYPES, "actor").values())
    return [a for a in found if a is not None]


def _remaining_registry(events: Iterable[RecordedEvent], types: frozenset[str], key: str
                        ) -> dict[str, list[registry.Entry]]:
    """The registry events of `types` not retracted or superseded, by the id they concern."""
    log = list(events)
    voids = voided_at(log)
    found: dict[str, list[registry.Entry]] = {}
    for event in log:
        if event.type in types and event.id not in voids:
            found.setdefault(event.data[key], []).append(
                registry.Entry(event.type, event.data, event.position))
    return found


def topic_directory(events: Iterable[RecordedEvent]) -> list[TopicEntry]:
    """Defined topics, in the order of their remaining definitions."""
    found = [t for entries in
             _remaining_registry(events, registry.TOPIC_TYPES, "topic").values()
             if (t := registry.fold_topic(entries))]
    return [topic for topic, _ in sorted(found, key=lambda pair: pair[1])]


def documents(events: Iterable[RecordedEvent]) -> dict[str, RecordedEvent]:
    """The registered documents (not retracted), each with the event that registered it."""
    log = list(events)
    voids = voided_at(log)
    return {e.data["document"]: e for e in log
            if e.type == registry.DOCUMENT_REGISTERED and e.id not in voids}
