"""Geometry of the page's two SVG charts, as plain data the templates draw.

The server lays out the timeline for its initial view so that it reads without JavaScript;
`static/app.js` recomputes the same x positions from each mark's `data-start`/`data-end` (days
since 1970-01-01, end exclusive) when the reader zooms or pans. Both sides use the same tick
rules (`ticks` here, `ticks` in app.js), so a zoomed view looks like a server-rendered one.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from stanceline.answers import Bucket
from stanceline.dates import parse_edtf, parse_open_edtf
from stanceline.domain import lanes as lane_rules
from stanceline.domain.projections import Claim
from stanceline.errors import InvalidDate

EPOCH = date(1970, 1, 1).toordinal()
DASH = "\u2013"  # an en dash, for ranges of dates and numbers
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STANCES = ("supports", "opposes", "conditional", "undecided")

# Timeline box, in SVG user units (the server's view box; app.js swaps in the real pixel width).
WIDTH = 1000.0
GUTTER = 200.0  # lane labels
RIGHT = 14.0
AXIS = 30.0
LANE = 20.0
GROUP = 22.0
BOTTOM = 10.0

# The shape of each non-stance event type (stances are circles coloured by their value).
SYMBOLS: dict[str, str] = {
    "stance.declared": "stance",
    "claim.made": "claim",
    "statement.made": "statement",
    "meeting.held": "meeting",
    "meeting.scheduled": "meeting",
    "agreement.signed": "agreement",
    "event.retracted": "retraction",
}

GROUPS: tuple[tuple[str, str], ...] = (
    ("world", "Meetings & agreements"),
    ("country", "Countries"),
    ("organisation", "Organisations & groups"),
    ("person", "People"),
    ("other", "Other actors"),
)
GROUP_OF_KIND = {"country": "country", "organisation": "organisation", "group": "organisation",
                 "person": "person"}
STORY_TYPES = ("stance.declared", "claim.made")
# Short names of topics for lane labels (the full titles are sentences).
TOPIC_SHORT: dict[str, str] = {
    "troops-in-ukraine": "force in Ukraine", "own-troops": "own troops",
    "troops-during-war": "troops in wartime", "multinational-mission": "multinational mission",
    "air-policing": "air policing", "naval-mission": "naval mission",
    "us-backstop": "US backstop", "security-guarantees": "security guarantees",
    "ceasefire": "ceasefire", "military-aid": "military aid",
}
WORLD = ""  # the lane of events with no main actor (meetings, agreements)
OTHERS = lane_rules.OTHERS  # the lane that aggregates the actors beyond the busiest ones
MAX_LANES = 30  # the busiest actors that keep a lane of their own in a large log


def day_number(day: date) -> int:
    """Days since 1970-01-01: the unit that app.js shares with the server."""
    return day.toordinal() - EPOCH


def from_day_number(number: int) -> date:
    """The date of a day number."""
    return date.fromordinal(number + EPOCH)


def human_date(day: date) -> str:
    """`3 Feb 2025`: unambiguous in every locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True, slots=True)
class Tick:
    """A vertical grid line of the time axis, labelled when `label` is not empty."""

    day: int
    x: float
    label: str
    major: bool


@dataclass(frozen=True, slots=True)
class Scale:
    """Maps day numbers in [start, end) onto [x0, x1]."""

    start: int
    end: int
    x0: float
    x1: float

    def x(self, day: float) -> float:
        """The x of a day number."""
        return round(self.x0 + (day - self.start) * (self.x1 - self.x0) / (self.end - self.start),
                     2)


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def ticks(scale: Scale) -> list[Tick]:
    """Grid lines for a view: years, quarters, months or days depending on its span."""
    span = scale.end - scale.start
    first, last = from_day_number(scale.start), from_day_number(scale.end)
    found: list[Tick] = []
    if span > 540:
        years = span / 365.25
        step = 1 if years <= 14 else 2 if years <= 28 else 5 if years <= 70 else 10
        quarterly = years <= 6
        month = date(first.year, first.month, 1) if quarterly else date(first.year, 1, 1)
        while month <= last:
            number = day_number(month)
            if month.month == 1 and month.year % step == 0:
                found.append(Tick(number, scale.x(number), str(month.year), True))
            elif quarterly and month.month in (4, 7, 10):
                found.append(Tick(number, scale.x(number), "", False))
            month = _add_months(month, 1 if quarterly else 12)
    elif span > 75:
        every = 1 if span <= 400 else 2
        month = date(first.year, first.month, 1)
        while month <= last:
            number = day_number(month)
            if (month.month - 1) % every == 0:
                label = f"{MONTHS[month.month - 1]} {month.year}" if month.month == 1 \
                    or not found else MONTHS[month.month - 1]
                found.append(Tick(number, scale.x(number), label, month.month == 1))
            month = _add_months(month, 1)
    else:
        every = 1 if span <= 16 else 7
        day = first
        while day <= last:
            number = day_number(day)
            if day.day == 1:
                found.append(Tick(number, scale.x(number), f"{MONTHS[day.month - 1]} {day.year}",
                                  True))
            elif every == 1 or day.day in (8, 15, 22):
                found.append(Tick(number, scale.x(number), str(day.day), False))
            day += timedelta(days=1)
    return [t for t in found if scale.start <= t.day <= scale.end]


def thinned(found: Sequence[Tick], char: float = 6.6, anchor: str = "start",
            gap: float = 6.0) -> list[Tick]:
    """The ticks with every label that would touch the previous one blanked (a narrow view of
    many months keeps its grid lines but only the labels that fit). `app.js` does the same."""
    out: list[Tick] = []
    last = -math.inf
    for tick in found:
        width = char * len(tick.label)
        left = tick.x + 3 if anchor == "start" else tick.x - width / 2
        if tick.label and left < last + gap:
            out.append(Tick(tick.day, tick.x, "", tick.major))
            continue
        if tick.label:
            last = left + width
        out.append(tick)
    return out


@dataclass(slots=True)
class Lane:
    """One row of the timeline: an actor (or the world, or the aggregated others), and, when
    every topic is shown, one topic of that actor (so a mark's row says its topic)."""

    key: str
    label: str
    group: str
    y: float = 0.0
    count: int = 0
    actor: str = ""
    topic: str = ""
    topic_label: str = ""
    first: bool = True  # the actor's first lane (the one that names it)

    def __post_init__(self) -> None:
        if not self.actor:
            self.actor = self.key


@dataclass(slots=True)
class Mark:
    """One event drawn on a lane: a point (day precision) or a range (month, year)."""

    id: str
    lane: str
    start: int
    end: int  # exclusive
    kind: str  # the stance value, or "neutral"
    symbol: str
    type: str
    stance: str
    title: str
    range: bool
    x: float = 0.0
    width: float = 0.0
    y: float = 0.0
    classes: str = ""
    voided: bool = False  # retracted or superseded: struck through, never a live mark
    topic: str = ""


@dataclass(slots=True)
class Block:
    """Many events of one lane in one period, drawn as one aggregated rectangle."""

    lane: str
    start: int
    end: int
    count: int
    kind: str
    title: str
    opacity: float = 1.0
    href: str = ""
    x: float = 0.0
    width: float = 0.0
    y: float = 0.0


@dataclass(slots=True)
class Timeline:
    """Everything the template needs to draw the timeline."""

    mode: str  # "events" or "buckets"
    total: int
    lanes: list[Lane]
    groups: list[tuple[str, float]]
    marks: list[Mark] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    width: float = WIDTH
    height: float = 0.0
    x0: float = GUTTER
    x1: float = WIDTH - RIGHT
    view: tuple[int, int] = (0, 1)
    data: tuple[int, int] = (0, 1)
    as_of: int = 0
    as_of_x: float | None = None
    period: str = "month"
    hidden_lanes: int = 0


def lane_of(actor: str | None, names: Mapping[str, tuple[str, str]]) -> tuple[str, str, str]:
    """(key, label, group) of the lane an event's main actor draws on."""
    if not actor:
        return WORLD, "Meetings & agreements", "world"
    if actor == OTHERS:
        return OTHERS, "All other actors", "other"
    name, kind = names.get(actor, (actor, ""))
    return actor, name, GROUP_OF_KIND.get(kind, "other")


def place_lanes(lanes: Iterable[Lane]) -> tuple[list[Lane], list[tuple[str, float]], float]:
    """Order lanes by group then label and give each its y; returns lanes, group headers and
    the total height."""
    order = {g: i for i, (g, _) in enumerate(GROUPS)}
    titles = dict(GROUPS)
    placed = sorted(lanes, key=lambda ln: (order[ln.group], ln.key == OTHERS, ln.label.lower(),
                                           ln.actor, ln.topic != "", ln.topic_label.lower()))
    headers: list[tuple[str, float]] = []
    y = AXIS
    current = None
    previous = None
    for lane in placed:
        if lane.group != current:
            current = lane.group
            headers.append((titles[current], y + GROUP - 7))
            y += GROUP
        lane.first = lane.actor != previous
        previous = lane.actor
        lane.y = y + LANE / 2
        y += LANE
    return placed, headers, y + BOTTOM


def fit(starts: Sequence[int], ends: Sequence[int], today: int) -> tuple[int, int]:
    """A view that shows all the data, with a little air on each side."""
    if not starts:
        return today - 365, today + 30
    low, high = min(starts), max(ends)
    pad = max(7, (high - low) // 40)
    return low - pad, high + pad


def story(marks: Sequence[Mark]) -> int | None:
    """The day the story starts: the first stance or claim (older events are background)."""
    days = [m.start for m in marks if m.type in STORY_TYPES]
    return min(days) if days else None


def busiest(starts: Sequence[int], ends: Sequence[int], today: int) -> tuple[int, int]:
    """The opening view: from the 10th percentile of start dates to the last event, so that a
    few old antecedents (a 1999 treaty) do not squeeze the debate itself into a sliver."""
    whole = fit(starts, ends, today)
    if len(starts) < 20:
        return whole
    ordered = sorted(starts)
    low, high = ordered[len(ordered) // 10], max(ends)
    pad = max(7, (high - low) // 40)
    view = (low - pad, high + pad)
    return view if (view[1] - view[0]) < 0.6 * (whole[1] - whole[0]) else whole


def parse_window(text: str | None) -> tuple[int, int] | None:
    """`2024-01-01..2025-06-30` (the `span` query parameter) as day numbers, end exclusive."""
    if not text or ".." not in text:
        return None
    left, _, right = text.partition("..")
    try:
        first, last = parse_edtf(left.strip()), parse_edtf(right.strip())
    except InvalidDate:  # an impossible day (2025-02-30): the caller notes it, not a 422
        return None
    if first is None or last is None or last.end < first.start:
        return None
    return day_number(first.start), day_number(last.end) + 1


def format_window(view: tuple[int, int]) -> str:
    """The inverse of `parse_window`."""
    return f"{from_day_number(view[0]).isoformat()}..{from_day_number(view[1] - 1).isoformat()}"


def topic_short(topic: str) -> str:
    """A topic's name short enough for a lane label."""
    return TOPIC_SHORT.get(topic, topic.replace("-", " "))


def event_marks(events: Iterable[Any], names: Mapping[str, tuple[str, str]],
                titles: Mapping[str, str], selected: str | None, as_of: int,
                voided: Mapping[str, str] | None = None, by_topic: bool = False
                ) -> tuple[list[Mark], dict[str, Lane]]:
    """Marks for dated events (RecordedEvent-like), and the lanes they fall on: one per actor,
    or (`by_topic`, when every topic is shown) one per actor and topic. Those in `voided`
    (retracted or superseded: by which event) are drawn struck through, in no stance's
    colour, their tooltip saying so."""
    marks: list[Mark] = []
    lanes: dict[str, Lane] = {}
    for event in events:
        if event.occurred_end is None:
            continue
        actor, label, group = lane_of(event.actor, names)
        topic = (event.topic or "") if by_topic and actor != WORLD else ""
        key = f"{actor}|{topic}" if topic else actor
        lane = lanes.get(key)
        if lane is None:
            lane = lanes[key] = Lane(key, label, group, actor=actor, topic=topic,
                                     topic_label=topic_short(topic) if topic else "")
        lane.count += 1
        stance = str(event.data.get("stance") or "")
        kind = stance if event.type == "stance.declared" and stance else "neutral"
        void = (voided or {}).get(event.id)
        if void is not None:
            kind = "voided"
        end = day_number(event.occurred_end) + 1
        # An open start ("on or before") is drawn where it is known to have happened by.
        start = end - 1 if event.occurred_start is None else day_number(event.occurred_start)
        classes = ["mark", f"k-{kind}", f"t-{SYMBOLS.get(event.type, 'other')}"]
        if event.occurred_start is None:
            classes.append("open-start")
        if void is not None:
            classes.append("voided")
        if event.disputed:
            classes.append("disputed")
        if event.id == selected:
            classes.append("selected")
        if start > as_of:
            classes.append("future")
        marks.append(Mark(
            id=event.id, lane=key, start=start, end=end, kind=kind,
            symbol=SYMBOLS.get(event.type, "other"), type=event.type, stance=stance,
            title=(f"Retracted (by event {void}): " if void is not None else "")
            + titles.get(event.id, ""),
            range=end - start > 1, classes=" ".join(classes), voided=void is not None,
            topic=event.topic or ""))
    return marks, lanes


def aggregate(buckets: Sequence[Bucket], names: Mapping[str, tuple[str, str]],
              max_lanes: int = MAX_LANES, max_blocks: int = 1_200, folded: int = 0
              ) -> tuple[list[Block], list[Lane], str, int]:
    """Coarsen `Service.timeline` buckets until they are few enough to draw as DOM nodes.

    The busiest `max_lanes` actors keep a lane each and the rest share one (`folded` actors
    are already summed in it); months merge into quarters or years until at most
    `max_blocks` blocks remain. Returns blocks, lanes, the period used and how many actors
    share the last lane.
    """
    per_lane: Counter[str] = Counter()
    for bucket in buckets:
        if bucket.actor != OTHERS:
            per_lane[bucket.actor] += bucket.count
    kept = set(lane_rules.busiest_lanes(per_lane, max_lanes))
    hidden = folded + len(per_lane) - len(kept)
    # One pass to integer period keys (month, quarter, year index) so that choosing the
    # coarsest-needed period is a few set sizes, not a regrouping per candidate.
    rows: list[tuple[str, tuple[int, int, int], str, int]] = []
    for bucket in buckets:
        actor = bucket.actor if bucket.actor in kept else OTHERS
        year, month = int(bucket.month[:4]), int(bucket.month[5:7])
        keys = (year * 12 + month - 1, year * 4 + (month - 1) // 3, year)
        rows.append((actor, keys, bucket.kind, bucket.count))
    level, period = 2, "year"
    for index, name in ((0, "month"), (1, "quarter")):
        if len({(actor, keys[index]) for actor, keys, _, _ in rows}) <= max_blocks:
            level, period = index, name
            break
    cells: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    for actor, keys, kind, count in rows:
        cells[(actor, keys[level])][kind] += count
    lanes: dict[str, Lane] = {}
    blocks: list[Block] = []
    biggest = max((sum(c.values()) for c in cells.values()), default=1)
    for (lane_key, key), kinds in cells.items():
        lane_id, label, group = lane_of(lane_key, names)
        lane = lanes.get(lane_id)
        if lane is None:
            lane = lanes[lane_id] = Lane(lane_id, label, group)
        count = sum(kinds.values())
        lane.count += count
        start, end = _period(key, period)
        top = kinds.most_common(1)[0][0]
        detail = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
        when = _period_label(from_day_number(start), period)
        blocks.append(Block(
            lane=lane_id, start=start, end=end, count=count,
            kind=top if top in STANCES else "neutral",
            title=f"{label}, {when}: {count} event{'s' if count != 1 else ''} ({detail})",
            # Opacity by log count: a busy month stands out without drowning a quiet one.
            opacity=round(0.35 + 0.65 * math.log1p(count) / math.log1p(biggest), 2)))
    return blocks, list(lanes.values()), period, hidden


def _period(key: int, period: str) -> tuple[int, int]:
    """Day numbers [start, end) of a month, quarter or year index (see `aggregate`)."""
    if period == "month":
        first = date(key // 12, key % 12 + 1, 1)
        return day_number(first), day_number(_add_months(first, 1))
    if period == "quarter":
        first = date(key // 4, 3 * (key % 4) + 1, 1)
        return day_number(first), day_number(_add_months(first, 3))
    return day_number(date(key, 1, 1)), day_number(date(key + 1, 1, 1))


def _period_label(first: date, period: str) -> str:
    if period == "month":
        return f"{MONTHS[first.month - 1]} {first.year}"
    if period == "quarter":
        return f"Q{(first.month - 1) // 3 + 1} {first.year}"
    return str(first.year)


def lay_out(timeline: Timeline, view: tuple[int, int], as_of: int) -> Timeline:
    """Place marks, blocks and ticks for a view (day numbers, end exclusive)."""
    lanes, headers, height = place_lanes(timeline.lanes)
    timeline.lanes, timeline.groups, timeline.height = lanes, headers, height
    ys = {lane.key: lane.y for lane in lanes}
    scale = Scale(view[0], view[1], timeline.x0, timeline.x1)
    timeline.view = view
    timeline.ticks = thinned(ticks(scale))
    timeline.as_of = as_of
    timeline.as_of_x = scale.x(as_of + 1) if view[0] <= as_of < view[1] else None
    for mark in timeline.marks:
        mark.y = ys[mark.lane]
        if mark.range:
            mark.x = scale.x(mark.start)
            mark.width = max(3.0, round(scale.x(mark.end) - mark.x, 2))
        else:
            mark.x = scale.x(mark.start + 0.5)
    for block in timeline.blocks:
        block.y = ys[block.lane]
        block.x = scale.x(block.start)
        block.width = max(2.0, round(scale.x(block.end) - block.x - 0.5, 2))
    # Ranges first so that points on the same lane stay visible (and clickable) on top.
    timeline.marks.sort(key=lambda m: (not m.range, -(m.end - m.start)))
    return timeline


# -- the claims chart ----------------------------------------------------------------------
CLAIMS_WIDTH = 1000.0
CLAIMS_HEIGHT = 340.0
CLAIMS_LEFT = 78.0
CLAIMS_RIGHT = 30.0
CLAIMS_TOP = 18.0
CLAIMS_BOTTOM = 44.0


@dataclass(slots=True)
class ClaimPoint:
    """One claimed number: a point (value) or a vertical range (low..high)."""

    id: str
    who: str
    label: str
    title: str
    x: float
    x_start: float
    x_end: float
    y: float
    y_low: float
    y_high: float
    range: bool
    start: int = 0
    future: bool = False
    label_y: float = 0.0
    label_x: float = 0.0


@dataclass(slots=True)
class ClaimsChart:
    """The claims chart: points, axes and their ticks."""

    points: list[ClaimPoint]
    x_ticks: list[Tick]
    y_ticks: list[tuple[float, str]]
    width: float = CLAIMS_WIDTH
    height: float = CLAIMS_HEIGHT
    left: float = CLAIMS_LEFT
    right: float = CLAIMS_WIDTH - CLAIMS_RIGHT
    top: float = CLAIMS_TOP
    bottom: float = CLAIMS_HEIGHT - CLAIMS_BOTTOM
    unit: str = "troops"


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round upper bound for an axis and a round step under it."""
    if value <= 0:
        return 1.0, 0.2
    exponent = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        top = factor * exponent
        if top >= value:
            break
    return top, top / 5


def format_number(value: float) -> str:
    """`200,000`; `12.5`."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def claims_chart(claims: Sequence[Claim], names: Mapping[str, tuple[str, str]],
                 as_of: int) -> ClaimsChart | None:
    """Lay out claims (as `Service.claims` gives them): time across, number up; those made
    after `as_of` are marked `future` (drawn faded, so moving the date never hides one)."""
    dated = []
    for claim in claims:
        span = (parse_edtf(claim.occurred) or parse_open_edtf(claim.occurred)
                if claim.occurred else None)
        if span is None:
            continue
        numbers = [v for v in (claim.value, claim.low, claim.high) if v is not None]
        end = day_number(span.end) + 1
        # An open start is placed where it is known to have been made by.
        start = end - 1 if span.start is None else day_number(span.start)
        if numbers:
            dated.append((claim, start, end, numbers))
    if not dated:
        return None
    low = min(s for _, s, _, _ in dated)
    high = max(e for _, _, e, _ in dated)
    pad = max(15, (high - low) // 12)
    scale = Scale(low - pad, high + pad, CLAIMS_LEFT, CLAIMS_WIDTH - CLAIMS_RIGHT)
    top, step = nice_ceiling(max(max(n) for *_, n in dated) * 1.05)
    y_bottom, y_top = CLAIMS_HEIGHT - CLAIMS_BOTTOM, CLAIMS_TOP

    def y(value: float) -> float:
        return round(y_bottom - value / top * (y_bottom - y_top), 2)

    points: list[ClaimPoint] = []
    for claim, start, end, numbers in dated:
        who_id = claim.speaker or claim.actor or ""
        who = names.get(who_id, (who_id, ""))[0] or "Unattributed"
        actor = names.get(claim.actor or "", (claim.actor or "", ""))[0]
        if claim.value is not None:
            amount = format_number(claim.value)
        else:
            amount = f"{format_number(min(numbers))}{DASH}{format_number(max(numbers))}"
        qualifier = f"{claim.qualifier} " if claim.qualifier else ""
        unit = claim.unit or ""
        who_text = who if who == actor else f"{who} ({actor})"
        title = f"{who_text}, {claim.occurred}: {qualifier}{amount} {unit}".strip()
        points.append(ClaimPoint(
            id=claim.id, who=who_text, label=f"{who}: {qualifier}{amount}", title=title,
            x=scale.x((start + end) / 2), x_start=scale.x(start), x_end=scale.x(end),
            y=y(claim.value) if claim.value is not None else y(
                (min(numbers) + max(numbers)) / 2),
            y_low=y(min(numbers)), y_high=y(max(numbers)),
            range=claim.value is None and len(numbers) > 1, start=start,
            future=start > as_of))
    _spread(points)
    _place_labels(points, y_top, y_bottom)
    y_ticks = []
    value = 0.0
    while value <= top + step / 2:
        y_ticks.append((y(value), format_number(value)))
        value += step
    units = {c.unit for c, *_ in dated if c.unit}
    return ClaimsChart(points=points, x_ticks=thinned(ticks(scale), anchor="middle"),
                       y_ticks=y_ticks,
                       unit=", ".join(sorted(str(u) for u in units)) or "number")


def _spread(points: list[ClaimPoint]) -> None:
    """Claims dated to the same month share an x: fan them out a little so none hides."""
    same: dict[float, list[ClaimPoint]] = defaultdict(list)
    for point in points:
        same[point.x].append(point)
    for group in same.values():
        for i, point in enumerate(sorted(group, key=lambda p: p.y)):
            point.x = round(point.x + (i - (len(group) - 1) / 2) * 9, 2)


def _place_labels(points: list[ClaimPoint], top: float, bottom: float) -> None:
    """Put each label just right of its mark, moved up or down (with a leader line) where it
    would overlap a label already placed; the busiest month of a debate has several claims."""
    char, height = 6.3, 13.0
    # Marks first: a label may cover neither another label nor any mark.
    placed: list[tuple[float, float, float, float]] = [
        (p.x - 6, p.x + 6, min(p.y_high, p.y) - 6, max(p.y_low, p.y) + 6) for p in points]

    def free(x: float, y: float, width: float) -> bool:
        return all(x + width < left or x > right or y + height <= upper or y >= lower
                   for left, right, upper, lower in placed)

    for point in sorted(points, key=lambda p: (p.x, p.y)):
        width = char * len(point.label)
        x = point.x + 10
        if x + width > CLAIMS_WIDTH - 4:
            x = point.x - 10 - width
        for step in range(40):
            offset = (step + 1) // 2 * height * (1 if step % 2 else -1)
            y = min(max(point.y - height / 2 + offset, top - 8), bottom - height)
            if free(x, y, width):
                break
        placed.append((x, x + width, y, y + height))
        point.label_x, point.label_y = x, y + height / 2


# -- the stance panel: actors by month ------------------------------------------------------
PANEL_LEFT = 190.0
PANEL_TOP = 40.0
PANEL_CELL = 24.0
PANEL_ROW = 22.0
PANEL_RIGHT = 16.0
PANEL_BOTTOM = 12.0


@dataclass(frozen=True, slots=True)
class PanelCell:
    """One actor in one month: the stance as of the month's last day."""

    x: float
    y: float
    stance: str
    certain: bool
    title: str
    href: str


@dataclass(slots=True)
class PanelChart:
    """Actors (rows) by months (columns), coloured by stance; uncertain months hatched."""

    rows: list[tuple[str, str, float]]  # actor, label, y of the row's middle
    cells: list[PanelCell]
    months: list[Tick]  # x of each column's left edge; labels thinned to fit
    width: float
    height: float
    left: float = PANEL_LEFT
    top: float = PANEL_TOP
    cell: float = PANEL_CELL
    row: float = PANEL_ROW


def month_ends(first: date, last: date, limit: int = 120) -> list[date]:
    """The last day of each month from `first`'s month to `last`'s (at most `limit`, the
    latest kept)."""
    ends: list[date] = []
    month = date(first.year, first.month, 1)
    while month <= last:
        following = _add_months(month, 1)
        ends.append(following - timedelta(days=1))
        month = following
    return ends[-limit:]


def panel_chart(actors: Sequence[tuple[str, str]], ends: Sequence[date],
                answers: Mapping[tuple[str, date], tuple[str, bool, str]],
                href: Any) -> PanelChart:
    """Lay out the panel: `answers[(actor, month_end)]` is (stance, certain, words);
    `href(actor, month_end)` the link of a cell."""
    rows = [(actor, label, PANEL_TOP + i * PANEL_ROW + PANEL_ROW / 2)
            for i, (actor, label) in enumerate(actors)]
    cells: list[PanelCell] = []
    for actor, label, y in rows:
        for i, end in enumerate(ends):
            stance, certain, words = answers.get((actor, end), ("unknown", True, "unknown"))
            cells.append(PanelCell(
                x=PANEL_LEFT + i * PANEL_CELL, y=y - PANEL_ROW / 2 + 1, stance=stance,
                certain=certain,
                title=f"{label}, {MONTHS[end.month - 1]} {end.year}: {words}",
                href=href(actor, end)))
    months = []
    for i, end in enumerate(ends):
        text = f"{MONTHS[end.month - 1]} {end.year}" if end.month == 1 or i == 0 \
            else MONTHS[end.month - 1] if end.month in (4, 7, 10) else ""
        months.append(Tick(day_number(end), PANEL_LEFT + i * PANEL_CELL, text, end.month == 1))
    width = PANEL_LEFT + len(ends) * PANEL_CELL + PANEL_RIGHT + 40
    return PanelChart(rows=rows, cells=cells, months=thinned(months, gap=4), width=width,
                      height=PANEL_TOP + len(rows) * PANEL_ROW + PANEL_BOTTOM)
