"""What the use cases answer: plain typed values, one per question `Service` answers.

Callers read attributes (the page, the CLI) or serialise them through the API's response models
(`stanceline.api.models`, the one source of the wire shapes). Dates and times are kept as the
ISO text the contract spells (`as_of` a date, `known_at` a UTC timestamp), so every caller
shows the same thing. No FastAPI here, no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from stanceline.domain.directory import ActorEntry, DocumentEntry, TopicEntry
from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import Change, Claim, Evidence, HeldConditionAnswer, Stance
from stanceline.domain.voids import Void


@dataclass(frozen=True, slots=True)
class StancesAnswer:
    """Stances as of a date (`as_of`), as the log stood at `known_at`."""

    as_of: str
    known_at: str
    stances: list[Stance]


@dataclass(frozen=True, slots=True)
class HistoryAnswer:
    """Each change of an actor's stance on a topic, with its evidence."""

    actor: str
    topic: str
    known_at: str
    changes: list[Change]
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Brief:
    """A stance without its evidence: one side of a move."""

    stance: str
    since: str | None
    certain: bool
    possible: list[str]
    conditions: list[HeldConditionAnswer]
    last_stated: str | None = None

    @classmethod
    def of(cls, stance: Stance) -> Brief:
        """The brief form of a full answer."""
        return cls(stance.stance, stance.since, stance.certain, stance.possible,
                   stance.conditions, stance.last_stated)


@dataclass(frozen=True, slots=True)
class Move:
    """One actor that moved on one topic between two dates, and the evidence of where to."""

    actor: str
    topic: str
    before: Brief
    after: Brief
    evidence: list[Evidence]


@dataclass(frozen=True, slots=True)
class ChangesAnswer:
    """Who moved between `from_` and `to` (the wire calls the first `from`)."""

    from_: str
    to: str
    known_at: str
    changes: list[Move]


@dataclass(frozen=True, slots=True)
class ClaimsAnswer:
    """Numbers claimed about `subject` (None: every subject), dated up to `as_of`."""

    subject: str | None
    as_of: str
    known_at: str
    claims: list[Claim]


@dataclass(frozen=True, slots=True)
class ActorsAnswer:
    """The actor directory (or the actors a name matched)."""

    actors: list[ActorEntry]


@dataclass(frozen=True, slots=True)
class ActorAnswer:
    """One registered actor, with its stances as of today."""

    actor: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    represents: str | None
    members: tuple[str, ...]
    stances: list[Stance]


@dataclass(frozen=True, slots=True)
class TopicsAnswer:
    """Every defined topic, in the order they were first defined."""

    topics: list[TopicEntry]


@dataclass(frozen=True, slots=True)
class DocumentsAnswer:
    """Registered documents, in order of registration."""

    documents: list[DocumentEntry]


@dataclass(frozen=True, slots=True)
class DocumentAnswer:
    """One document: its metadata, its text and the events citing it."""

    document: DocumentEntry
    text: str
    cited_by: list[RecordedEvent]


@dataclass(frozen=True, slots=True)
class Passage:
    """A quote in its paragraph of the registered document it cites."""

    document: str
    title: str
    before: str
    quote: str
    after: str


@dataclass(frozen=True, slots=True)
class PanelRow:
    """One actor's stance on one topic as of the end of one period (`period_end`)."""

    period: str
    period_end: str
    actor: str
    topic: str
    stance: str
    certain: bool
    possible: list[str]
    since: str | None


@dataclass(frozen=True, slots=True)
class PanelAnswer:
    """The stance panel: a row per actor, topic and period (`every`: month, quarter, year)
    from the period holding `from_` to the one holding `to`, each as of the period's end
    (the last one as of `to`), as the log stood at `known_at`."""

    topic: str | None
    from_: str
    to: str
    every: str
    known_at: str
    rows: list[PanelRow]


@dataclass(frozen=True, slots=True)
class Bucket:
    """How many events of one kind (a stance value, else the event type) one actor has in one
    month (`YYYY-MM`): the timeline of a log too large to draw event by event."""

    actor: str
    month: str
    kind: str
    count: int


@dataclass(frozen=True, slots=True)
class TimelineAnswer:
    """What the timeline draws: every matching event, or (too many) counts per bucket."""

    total: int
    events: list[RecordedEvent]
    buckets: list[Bucket]
    folded: int = 0  # how many actors' buckets are summed under the lane "*"


@dataclass(frozen=True, slots=True)
class LogView:
    """A page of the log with what it takes to show it elsewhere (an export to TimelineJS):
    the names of the actors and the titles of the topics, what voided each event (read only
    with `include_retracted`), the event type asked for, and the cursor of the next page."""

    events: list[RecordedEvent]
    voids: dict[str, Void]
    actor_names: dict[str, str]
    topic_titles: dict[str, str]
    type: str | None
    next_after: int | None


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What `load` did."""

    files: int
    read: int
    appended: int
    skipped: int
    seconds: float

    def line(self) -> str:
        """The one-line summary."""
        rate = self.read / self.seconds if self.seconds else 0.0
        return (f"loaded {self.appended} new events from {self.files} file(s) "
                f"({self.skipped} already present, {self.read} read) "
                f"in {self.seconds:.2f} s, {rate:,.0f} events/s")


# Every answer that has a wire shape (`stanceline.api.models.SHAPES` maps each to its model).
Answer = (StancesAnswer | HistoryAnswer | ChangesAnswer | ClaimsAnswer | ActorsAnswer
          | ActorAnswer | TopicsAnswer | PanelAnswer)
