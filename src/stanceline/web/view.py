"""The page's state (all of it in the URL query) and the data its template draws.

`build_page` makes a bounded number of service calls whatever the size of the log: the
timeline comes from one `Service.timeline` call (events, or counts per bucket when there are
too many), the list is one window of events, the matrix one `Service.stances` call (or one
`Service.stance` per visible pair when the log has too many pairs to answer at once), the
claims one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from stanceline.answers import Passage, TimelineAnswer
from stanceline.domain.directory import ActorEntry, TopicEntry
from stanceline.domain.events import RecordedEvent
from stanceline.domain.payloads import PAYLOADS, REGISTRY_TYPES, UNKNOWN
from stanceline.domain.projections import Stance
from stanceline.errors import NotFound, StancelineError
from stanceline.service import Service, today
from stanceline.web import chart

TIMELINE_EVENTS = 2_000  # above this the timeline draws aggregated buckets
LIST_PAGE = 50  # rows of the event table per page
MATRIX_PAIRS = 600  # above this the matrix answers one window of rows at a time
MATRIX_ROWS = 40
MAX_VIEW_DAYS = 366 * 200

TYPE_LABELS: dict[str, str] = {
    "stance.declared": "Stance",
    "claim.made": "Claim",
    "statement.made": "Statement",
    "meeting.held": "Meeting",
    "meeting.scheduled": "Meeting scheduled",
    "agreement.signed": "Agreement",
    "event.retracted": "Retraction",
    "actor.registered": "Actor registered",
    "topic.defined": "Topic defined",
}


@dataclass(frozen=True, slots=True)
class PageState:
    """Everything a view depends on; `query()` writes it back so a copied URL reopens it."""

    as_of: str | None = None
    known_at: str | None = None
    reported_by: str | None = None  # only what had been published by then
    actor: str | None = None
    topic: str | None = None
    type: str | None = None
    event: str | None = None
    span: str | None = None  # the timeline's visible window, `YYYY-MM-DD..YYYY-MM-DD`
    after: int = 0  # the event list's position cursor (large logs)
    shown: int = LIST_PAGE  # where the list's page ends (small logs: pages of LIST_PAGE)
    rows: int = 0  # the first matrix row shown (large logs)
    # "show": retracted and superseded events are drawn struck through; else left out, so an
    # actor whose every event is withdrawn leaves no lane.
    retracted: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> PageState:
        """Read the state from a query; blank values mean "not set", bad numbers the default."""
        def text(name: str) -> str | None:
            value = (query.get(name) or "").strip()
            return value[:200] or None

        def number(name: str, default: int, low: int, high: int) -> int:
            try:
                return min(max(int(query.get(name) or default), low), high)
            except ValueError:
                return default

        return cls(as_of=text("as_of"), known_at=text("known_at"),
                   reported_by=text("reported_by"), actor=text("actor"),
                   topic=text("topic"), type=text("type"), event=text("event"),
                   span=text("span"), after=number("after", 0, 0, 2**62),
                   shown=number("shown", LIST_PAGE, LIST_PAGE, TIMELINE_EVENTS + LIST_PAGE),
                   rows=number("rows", 0, 0, 10**7),
                   retracted="show" if text("retracted") == "show" else None)

    def query(self, **changes: Any) -> str:
        """The query string of this state with some fields changed (`?` included)."""
        state = replace(self, **changes)
        defaults = PageState()
        pairs = [(f.name, getattr(state, f.name)) for f in fields(state)
                 if getattr(state, f.name) != getattr(defaults, f.name)]
        return "?" + urlencode(pairs) if pairs else "?"


PAGE_PARAMETERS = tuple(f.name for f in fields(PageState))
# How many pages of the log one list page may read past unlisted (registry) entries.
LIST_READS = 30


@dataclass(frozen=True, slots=True)
class More:
    """How the list continues: a longer window (small logs) or the next cursor page."""

    href: str | None
    label: str
    shown: int
    total: int
    first: str | None = None  # back to the first cursor page
    start: int | None = None  # the positions this cursor page holds
    end: int | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the reader should know about their request (a date not understood...)."""

    field: str
    message: str
    status: int = 200  # 404: it names something that does not exist; 422: not understood


def safe_url(url: str | None) -> str | None:
    """A source URL fit for an `href`: only http(s), so `javascript:` can never be a link."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def build_page(service: Service, state: PageState, unknown: Sequence[str] = ()
               ) -> tuple[dict[str, Any], list[Notice]]:
    """Every piece of data the page template needs, and notices about ignored input."""
    notices = [Notice(name, f"the page takes no query parameter `{name}` (it takes "
                            f"{', '.join(PAGE_PARAMETERS)})", 422) for name in unknown]
    state, day, as_of_text, known_text = _checked(service, state, notices)
    actors = service.actors().actors
    names = {a.actor: (a.name, a.kind) for a in actors}
    topics = service.topics().topics
    topic_titles = {t.topic: t.title for t in topics}

    timeline_data = service.timeline(actor=state.actor, topic=state.topic, type=state.type,
                                     known_at=state.known_at, max_events=TIMELINE_EVENTS,
                                     max_lanes=chart.MAX_LANES)
    as_of_day = chart.day_number(day)
    selected = _selected(service, state, notices)
    earlier: list[EventView] = []
    hidden_voided = 0
    if timeline_data.buckets:
        timeline, listed, more = _large(service, state, timeline_data, names)
    else:
        # What was retracted or superseded as the log stood at `known_at`, asked of the store
        # (the voiding event may fall outside the filter: a retraction names no actor).
        voided = service.voids([e.id for e in timeline_data.events], state.known_at)
        drawn = timeline_data.events
        if state.retracted != "show":
            drawn = [e for e in drawn if e.id not in voided]
        timeline, listed, more = _small(state, drawn, names, topic_titles,
                                        selected, as_of_day,
                                        {k: v.by for k, v in voided.items()})
        hidden_voided = len(timeline_data.events) - len(drawn)
        earlier = _background(timeline, timeline_data.events, names, topic_titles, selected)
    timeline.total = timeline_data.total
    starts = [m.start for m in timeline.marks] + [b.start for b in timeline.blocks]
    ends = [m.end for m in timeline.marks] + [b.end for b in timeline.blocks]
    # The story's span (first stance or claim to the last event): what "Fit" and the opening
    # view show and the slider runs over; older background sits behind the "earlier" marker.
    data_span = chart.fit(starts, ends, chart.day_number(today()))
    timeline.data = data_span
    view = chart.parse_window(state.span)
    if view is None or not 1 < view[1] - view[0] <= MAX_VIEW_DAYS:
        if state.span:
            notices.append(Notice("span", f"the timeline window {state.span!r} was not "
                                          "understood (use YYYY-MM-DD..YYYY-MM-DD)"))
        view = chart.busiest(starts, ends, chart.day_number(today())) if timeline.blocks \
            else data_span
    chart.lay_out(timeline, view, as_of_day)
    focus = None if selected is None or selected.occurred_start is None \
        else chart.day_number(selected.occurred_start)

    matrix = _matrix(service, state, day, actors, topics, names, topic_titles, notices)
    # Every claim known (not only those before `as_of`): the chart fades the later ones, so
    # moving the date in the browser needs no new data.
    try:
        claims = service.claims("force-size", known_at=state.known_at).claims
    except NotFound:  # the page's own chart, not the reader's question: no such claims yet
        claims = []
    claims_chart = chart.claims_chart(claims, names, as_of_day)

    # The slider runs over the story's span (first stance or claim to the last event).
    first, last = (min(starts), max(ends) - 1) if starts else data_span
    slider = (min(first, as_of_day), max(last, as_of_day))
    context: dict[str, Any] = {
        "state": state,
        "as_of": day,
        "as_of_text": as_of_text,
        "known_at_text": known_text,
        "actors": actors,
        "actor_groups": _actor_groups(actors),
        "names": names,
        "topics": topics,
        "topic_titles": topic_titles,
        "types": [t for t in PAYLOADS if t not in REGISTRY_TYPES] + sorted(REGISTRY_TYPES),
        "type_labels": TYPE_LABELS,
        "timeline": timeline,
        "voided_hidden": hidden_voided,
        "earlier": earlier,
        "events": listed,
        "more": more,
        "selected": selected,
        "selected_view": None if selected is None
        else replace(event_view(selected, names, topic_titles,
                                {k: v.by for k, v in service.voids([selected.id],
                                                                   state.known_at).items()}),
                     passage=service.passage(selected)),
        "matrix": matrix,
        "claims": claims,
        "claims_chart": claims_chart,
        "slider": {"min": chart.from_day_number(slider[0]).isoformat(),
                   "max": chart.from_day_number(slider[1]).isoformat(),
                   "days": slider[1] - slider[0], "value": as_of_day - slider[0]},
        "zoom": zoom_links(state, view, data_span, focus),
        "downloads": download_links(state, day if state.as_of else None,
                                    service.settings.max_page),
        # The live stream starts after the head so that nothing appended between this render
        # and the browser's subscription is missed.
        "head": service.head(),
        "human_date": chart.human_date,
    }
    context["boot"] = {
        "head": context["head"],
        "as_of": day.isoformat(),
        "known_at": state.known_at,
        "reported_by": state.reported_by,
        "filters": {"actor": state.actor, "topic": state.topic, "type": state.type},
        "view": list(timeline.view),
        "data": list(timeline.data),
        "slider_start": slider[0],
        "mode": timeline.mode,
        "windowed": matrix["windowed"],
        "names": {k: v[0] for k, v in names.items()},
        "topics": topic_titles,
        "types": TYPE_LABELS,
    }
    return context, notices


def download_links(state: PageState, as_of: date | None, page_size: int) -> dict[str, str]:
    """The hrefs of the page's downloads, each carrying the page's filters (as checked): the
    log as CSV and as TimelineJS, with the filters the event list has, and the stance matrix
    as CSV, as of the page's date (resolved, so a relative "last February" downloads what
    was shown) and known at / reported by what the page says."""
    def href(path: str, pairs: Sequence[tuple[str, str | None]]) -> str:
        return path + "?" + urlencode([(k, v) for k, v in pairs if v is not None])

    log = [("actor", state.actor), ("topic", state.topic), ("type", state.type),
           ("known_at", state.known_at)]
    matrix = [("actor", state.actor), ("topic", state.topic),
              ("as_of", None if as_of is None else as_of.isoformat()),
              ("known_at", state.known_at), ("reported_by", state.reported_by)]
    return {"events_csv": href("/api/events", [*log, ("limit", str(page_size)),
                                               ("format", "csv")]),
            "stances_csv": href("/api/stances", [*matrix, ("format", "csv")]),
            "timelinejs": href("/api/timelinejs", log)}


def zoom_links(state: PageState, view: tuple[int, int], data: tuple[int, int],
               focus: int | None) -> dict[str, str]:
    """The hrefs of the zoom and pan controls (the same moves app.js makes without a reload).

    Zooming in and out keeps the window's centre; the Year and Month presets centre on the
    selected event when it is in view (else on the window's centre too).
    """
    start, end = view
    width = end - start
    middle = (start + end) // 2
    centre = focus if focus is not None and start <= focus < end else middle

    def span(first: int, last: int) -> str:
        return state.query(span=chart.format_window((first, max(last, first + 2))))

    return {"year": span(centre - 183, centre + 183), "month": span(centre - 15, centre + 16),
            "fit": state.query(span=chart.format_window(data)),
            "in": span(middle - width // 4, middle + width // 4),
            "out": span(middle - width, middle + width) if 2 * width <= MAX_VIEW_DAYS
            else state.query(span=None),
            "earlier": span(start - width // 2, end - width // 2),
            "later": span(start + width // 2, end + width // 2)}


def _checked(service: Service, state: PageState, notices: list[Notice]
             ) -> tuple[PageState, date, str, str | None]:
    """The state with every value the service rejects dropped (and a notice for each)."""
    day = today()
    as_of_text = "today"
    if state.as_of is not None:
        try:
            day = service.as_of(state.as_of)
            as_of_text = state.as_of
        except StancelineError as exc:
            notices.append(Notice("as_of", exc.detail))
            state = replace(state, as_of=None)
    known_text = None
    if state.known_at is not None:
        try:
            known_text = service.known_at(state.known_at).strftime("%Y-%m-%d %H:%M UTC")
        except StancelineError as exc:
            notices.append(Notice("known_at", exc.detail))
            state = replace(state, known_at=None)
    if state.reported_by is not None:
        try:
            service.as_of(state.reported_by, "reported_by")
        except StancelineError as exc:
            notices.append(Notice("reported_by", exc.detail))
            state = replace(state, reported_by=None)
    if state.actor is not None:
        try:
            state = replace(state, actor=service.actor_id(state.actor))
        except StancelineError as exc:
            notices.append(Notice("actor", exc.detail, 404 if isinstance(exc, NotFound) else 200))
            state = replace(state, actor=None)
    if state.topic is not None:
        try:
            state = replace(state, topic=service.topic_id(state.topic))
        except StancelineError as exc:
            notices.append(Notice("topic", exc.detail, 404 if isinstance(exc, NotFound) else 200))
            state = replace(state, topic=None)
    if state.type is not None and state.type not in PAYLOADS:
        notices.append(Notice("type", f"there is no event type {state.type!r}"))
        state = replace(state, type=None)
    return state, day, as_of_text, known_text


def _selected(service: Service, state: PageState, notices: list[Notice]
              ) -> RecordedEvent | None:
    if state.event is None:
        return None
    try:
        return service.event(state.event)
    except StancelineError as exc:
        notices.append(Notice("event", exc.detail))
        return None


def _listable(event: RecordedEvent, state: PageState) -> bool:
    # Registry entries are not things that happened; they appear only when asked for.
    return event.type not in REGISTRY_TYPES or state.type == event.type


def _small(state: PageState, events: Sequence[RecordedEvent],
           names: Mapping[str, tuple[str, str]], topic_titles: Mapping[str, str],
           selected: RecordedEvent | None, as_of_day: int, voids: Mapping[str, str]
           ) -> tuple[chart.Timeline, list[EventView], More | None]:
    """All matching events: drawn one by one (the voided struck through, never as live
    marks), listed newest first in windows."""
    titled = {e.id: headline(e, names, topic_titles) for e in events}
    marks, lanes = chart.event_marks(events, names, titled, None if selected is None
                                     else selected.id, as_of_day, voids,
                                     by_topic=state.topic is None)
    timeline = chart.Timeline(mode="events", total=len(events), lanes=list(lanes.values()),
                              groups=[], marks=marks)
    listable = [e for e in events if _listable(e, state)]
    listable.sort(key=lambda e: (e.occurred_start or date.min, e.position), reverse=True)
    end = min(state.shown, max(LIST_PAGE, -(-len(listable) // LIST_PAGE) * LIST_PAGE))
    begin = max(0, end - LIST_PAGE)
    window = listable[begin:end]
    listed = [event_view(e, names, topic_titles, voids) for e in window]
    more = None
    if len(listable) > LIST_PAGE:
        more = More(href=state.query(shown=end + LIST_PAGE) if end < len(listable) else None,
                    label=f"Next {min(LIST_PAGE, len(listable) - end)} events",
                    shown=len(window), total=len(listable),
                    first=state.query(shown=end - LIST_PAGE) if begin else None,
                    start=begin + 1, end=begin + len(window))
    return timeline, listed, more


def _background(timeline: chart.Timeline, events: Sequence[RecordedEvent],
                names: Mapping[str, tuple[str, str]], topic_titles: Mapping[str, str],
                selected: RecordedEvent | None) -> list[EventView]:
    """Take the events that end before the story starts (the first stance or claim) off the
    timeline; they are listed behind one "earlier" marker instead. The selected one stays."""
    start = chart.story(timeline.marks)
    if start is None:
        return []
    keep = None if selected is None else selected.id
    old = {m.id for m in timeline.marks if m.end <= start and m.id != keep}
    if not old:
        return []
    timeline.marks = [m for m in timeline.marks if m.id not in old]
    used = {m.lane for m in timeline.marks}
    timeline.lanes = [lane for lane in timeline.lanes if lane.key in used]
    background = [e for e in events if e.id in old]
    background.sort(key=lambda e: (e.occurred_start or e.occurred_end or date.min, e.position))
    return [event_view(e, names, topic_titles, {}) for e in background]


def _large(service: Service, state: PageState, data: TimelineAnswer,
           names: Mapping[str, tuple[str, str]]
           ) -> tuple[chart.Timeline, list[EventView], More | None]:
    """Too many events to draw: aggregated blocks, and the list one cursor page at a time."""
    blocks, lanes, period, hidden = chart.aggregate(data.buckets, names, folded=data.folded)
    for block in blocks:
        # A block opens the events of its actor: the list then pages through just those.
        block.href = state.query(actor=block.lane, after=0) \
            if block.lane not in (chart.WORLD, chart.OTHERS) else state.query()
    timeline = chart.Timeline(mode="buckets", total=data.total, lanes=lanes, groups=[],
                              blocks=blocks, period=period, hidden_lanes=hidden)
    # Registry entries are not listed: read on past them (a log opens with its directory),
    # a bounded number of pages at a time.
    page: list[RecordedEvent] = []
    next_after: int | None = state.after
    for _ in range(LIST_READS):
        if next_after is None or len(page) >= LIST_PAGE:
            break
        read, next_after = service.events(
            actor=state.actor, topic=state.topic, type=state.type, known_at=state.known_at,
            after=next_after, limit=LIST_PAGE)
        page += [e for e in read if _listable(e, state)]
    if len(page) > LIST_PAGE:
        # The page ends at its last listed event; the next one goes on right after it.
        page, next_after = page[:LIST_PAGE], page[LIST_PAGE - 1].position
    titles: dict[str, str] = {}
    voids = {k: v.by for k, v in service.voids([e.id for e in page], state.known_at).items()}
    listed = [event_view(e, names, titles, voids) for e in page]
    more = More(href=None if next_after is None else state.query(after=next_after),
                label=f"Next {LIST_PAGE} events", shown=len(listed), total=data.total,
                first=state.query(after=0) if state.after else None,
                start=page[0].position if page else None,
                end=page[-1].position if page else None)
    return timeline, listed, more


def headline(event: RecordedEvent, names: Mapping[str, tuple[str, str]],
             topic_titles: Mapping[str, str]) -> str:
    """A one-line title for an event: its summary, else what it says in words."""
    data = event.data
    summary = str(data.get("summary") or "").strip()
    title = str(data.get("title") or "").strip()
    if title:
        return title
    if summary:
        return summary
    actor = names.get(event.actor or "", (event.actor or "", ""))[0]
    topic = topic_titles.get(event.topic or "", event.topic or "")
    if event.type == "stance.declared":
        return f"{actor}: {data.get('stance')} on {topic}"
    if event.type == "event.retracted":
        return f"Retraction of event {data.get('target')}"
    if event.type == "actor.registered":
        return f"Actor registered: {data.get('name')}"
    if event.type == "topic.defined":
        return f"Topic defined: {data.get('title')}"
    return f"{TYPE_LABELS.get(event.type, event.type)} by {actor}".strip()


@dataclass(frozen=True, slots=True)
class EventView:
    """What the list and the details panel show of one event (strings the template escapes)."""

    id: str
    position: int
    type: str
    type_label: str
    symbol: str
    actor: str | None
    actor_name: str
    topic: str | None
    topic_title: str
    stance: str
    conditions: list[str]
    title: str
    summary: str
    speaker: str | None
    participants: list[str]
    place: str | None
    claim: str | None
    occurred: str | None
    occurred_text: str | None
    relative_to: str | None
    precision: str | None
    resolved: str | None
    start: str | None
    end: str | None
    start_day: int | None
    end_day: int | None
    quote: str | None
    document: str | None
    publisher: str | None
    published: str | None
    url: str | None
    disputed: bool
    note: str | None
    recorded_at: str
    voided_by: str | None
    supersedes: str | None
    recorded_by: str | None = None
    verified: bool = False
    # The quote in its paragraph of the registered document (only for the selected event).
    passage: Passage | None = None


def event_view(event: RecordedEvent, names: Mapping[str, tuple[str, str]],
               topic_titles: Mapping[str, str], voids: Mapping[str, str]) -> EventView:
    """What the list shows of one event."""
    data = event.data
    source = event.source or {}
    title = headline(event, names, topic_titles)
    summary = str(data.get("summary") or "").strip()
    speaker = data.get("speaker")
    people = [names.get(a, (a, ""))[0] for a in
              (data.get("participants") or data.get("signatories") or [])]
    resolved = None
    start = event.occurred_start
    end = event.occurred_end
    if start is not None and end is not None:
        resolved = chart.human_date(start)
        if end != start:
            resolved += f" {chart.DASH} {chart.human_date(end)}"
    elif end is not None:
        resolved = f"on or before {chart.human_date(end)}"
    return EventView(
        id=event.id,
        position=event.position,
        type=event.type,
        type_label=TYPE_LABELS.get(event.type, event.type),
        symbol=chart.SYMBOLS.get(event.type, "other"),
        actor=event.actor,
        actor_name=names.get(event.actor or "", (event.actor or "", ""))[0],
        topic=event.topic,
        topic_title=topic_titles.get(event.topic or "", event.topic or ""),
        stance=str(data.get("stance") or ""),
        conditions=[str(c.get("text", "")) if isinstance(c, dict) else str(c)
                    for c in data.get("conditions") or []],
        title=title,
        summary=summary if summary and summary != title else "",
        speaker=None if not speaker else names.get(speaker, (speaker, ""))[0],
        participants=people,
        place=data.get("place"),
        claim=_claim_text(data) if event.type == "claim.made" else None,
        occurred=event.occurred,
        occurred_text=event.occurred_text,
        relative_to=event.relative_to,
        precision=event.precision,
        resolved=resolved,
        start=None if start is None else start.isoformat(),
        end=None if end is None else end.isoformat(),
        start_day=None if start is None else chart.day_number(start),
        end_day=None if end is None else chart.day_number(end) + 1,
        quote=source.get("quote"),
        document=source.get("document"),
        publisher=source.get("publisher"),
        published=source.get("published"),
        url=safe_url(source.get("url")),
        disputed=event.disputed,
        note=event.note,
        recorded_at=event.recorded_at.strftime("%Y-%m-%d %H:%M UTC"),
        voided_by=voids.get(event.id),
        supersedes=event.supersedes,
        recorded_by=event.recorded_by,
        verified=bool(source.get("verified")),
    )


def _claim_text(data: Mapping[str, Any]) -> str:
    if data.get("value") is not None:
        amount = chart.format_number(float(data["value"]))
    else:
        amount = chart.DASH.join(chart.format_number(float(data[k])) for k in ("low", "high")
                          if data.get(k) is not None)
    parts = [data.get("qualifier"), amount, data.get("unit")]
    return " ".join(str(p) for p in parts if p)


def _actor_groups(actors: Sequence[ActorEntry]) -> list[tuple[str, list[ActorEntry]]]:
    """Actors for the filter's `<optgroup>`s, in the timeline's group order."""
    grouped: dict[str, list[ActorEntry]] = {}
    for actor in actors:
        grouped.setdefault(chart.GROUP_OF_KIND.get(actor.kind, "other"), []).append(actor)
    return [(title, sorted(grouped[key], key=lambda a: a.name.lower()))
            for key, title in chart.GROUPS if key in grouped]


def _matrix(service: Service, state: PageState, day: date,
            actors: Sequence[ActorEntry], topics: Sequence[TopicEntry],
            names: Mapping[str, tuple[str, str]], topic_titles: Mapping[str, str],
            notices: list[Notice]) -> dict[str, Any]:
    """Actors x topics as of the state's date, each cell with its deciding evidence."""
    pairs = service.stance_pairs(state.actor, state.topic)
    kinds = {a.actor: a.kind for a in actors}
    order = {key: i for i, (key, _) in enumerate(chart.GROUPS)}

    def row_key(actor: str) -> tuple[int, str]:
        group = chart.GROUP_OF_KIND.get(kinds.get(actor, ""), "other")
        return order[group], names.get(actor, (actor, ""))[0].lower()

    row_ids = sorted({a for a, _ in pairs} | ({state.actor} if state.actor else set()),
                     key=row_key)
    windowed = len(pairs) > MATRIX_PAIRS
    first = min(state.rows, max(0, len(row_ids) - 1)) if windowed else 0
    visible = row_ids[first:first + MATRIX_ROWS] if windowed else row_ids
    answers: list[Stance] = []
    as_of, known_at = state.as_of, state.known_at
    if windowed:
        shown = set(visible)
        for actor, topic in pairs:
            if actor in shown:
                answers += service.stance(actor, topic, as_of, known_at,
                                          state.reported_by).stances
    elif row_ids:
        answers = service.stances(actor=state.actor, topic=state.topic, as_of=as_of,
                                  known_at=known_at, reported_by=state.reported_by).stances
    by_pair = {(s.actor, s.topic): s for s in answers}
    column_ids = [t.topic for t in topics]
    column_ids += sorted({t for _, t in pairs} - set(column_ids))
    if state.topic is not None:
        column_ids = [state.topic]
    columns = [{"topic": t, "title": topic_titles.get(t, t)} for t in column_ids]
    groups: list[dict[str, Any]] = []
    for actor in visible:
        group = chart.GROUP_OF_KIND.get(kinds.get(actor, ""), "other")
        if not groups or groups[-1]["key"] != group:
            groups.append({"key": group, "title": dict(chart.GROUPS)[group], "rows": []})
        cells = [_cell(state, day, actor, t, by_pair.get((actor, t))) for t in column_ids]
        groups[-1]["rows"].append({"actor": actor, "name": names.get(actor, (actor, ""))[0],
                                   "cells": cells})
    if state.actor and not pairs:
        notices.append(Notice("actor", f"{names.get(state.actor, (state.actor, ''))[0]} has "
                                       "declared no stance in the log"))
    pages = None
    if windowed:
        pages = {"first": first + 1, "last": first + len(visible), "total": len(row_ids),
                 "prev": state.query(rows=max(0, first - MATRIX_ROWS)) if first else None,
                 "next": state.query(rows=first + MATRIX_ROWS)
                 if first + MATRIX_ROWS < len(row_ids) else None}
    return {"columns": columns, "groups": groups, "windowed": windowed, "pages": pages,
            "rows": len(visible)}


@dataclass(frozen=True, slots=True)
class Cell:
    """One matrix cell: the stance in words, whether it is certain, and its evidence."""

    actor: str
    topic: str
    stance: str
    certain: bool
    label: str
    possible: list[str]
    title: str
    evidence: str | None
    href: str


def _cell(state: PageState, as_of: date, actor: str, topic: str,
          answer: Stance | None) -> Cell:
    if answer is None:
        answer = Stance(actor, topic, UNKNOWN, since=None, certain=True, possible=[],
                        conditions=[], evidence=[])
    evidence = answer.evidence
    decider = next((e for e in evidence if e.counts == "certain"),
                   evidence[0] if evidence else None)
    stance = answer.stance
    possible = list(answer.possible)
    title = f"{stance} since {answer.since}" if answer.since else stance
    if answer.speaker:
        title += f" (as voiced by {answer.speaker})"
    if possible:
        title += f"; may already be {' or '.join(possible)} (a dated span overlaps the date)"
    if answer.conditions:
        title += "; conditions: " + "; ".join(c.text for c in answer.conditions)
    if decider is not None:
        href = state.query(event=decider.id) + "#details"
    else:
        # Nothing to show but the projection's own answer: that nothing is known.
        href = f"/api/stances?actor={quote(actor)}&topic={quote(topic)}&as_of={as_of}"
    return Cell(actor=actor, topic=topic, stance=stance, certain=answer.certain,
                label=stance + ("" if answer.certain else "?"), possible=possible,
                title=title, evidence=None if decider is None else decider.id,
                href=href)


# -- the stance panel: a topic's actors by month ---------------------------------------------
PANEL_MONTHS = 60  # the latest five years at most: one stances call per month


def build_panel(service: Service, query: Mapping[str, str]) -> tuple[dict[str, Any],
                                                                       list[Notice]]:
    """The context of `/panel?topic=`: each actor's stance on a topic as of each month's end,
    from the month of the topic's first stance to the current month (one `Service.stances`
    call per month, so the work is bounded by PANEL_MONTHS whatever the log's size)."""
    notices: list[Notice] = []
    state, _, _, known_text = _checked(service, PageState.from_query(query), notices)
    topics = service.topics().topics
    topic_titles = {t.topic: t.title for t in topics}
    names = {a.actor: (a.name, a.kind) for a in service.actors().actors}
    topic = state.topic or (topics[0].topic if topics else None)
    if state.topic and state.topic not in topic_titles:
        notices.append(Notice("topic", f"there is no topic {state.topic!r}"))
        topic = topics[0].topic if topics else None
    panel = None
    ends: list[date] = []
    if topic is not None:
        pairs = service.stance_pairs(None, topic)
        kinds = {a: k for a, (_, k) in names.items()}
        order = {key: i for i, (key, _) in enumerate(chart.GROUPS)}
        actors = sorted({a for a, _ in pairs}, key=lambda a: (
            order[chart.GROUP_OF_KIND.get(kinds.get(a, ""), "other")],
            names.get(a, (a, ""))[0].lower()))
        events = service.timeline(topic=topic, type="stance.declared",
                                  known_at=state.known_at, max_events=TIMELINE_EVENTS).events
        starts = [e.occurred_start or e.occurred_end for e in events]
        dated = [d for d in starts if d is not None]
        if dated and actors:
            ends = chart.month_ends(min(dated), today(), PANEL_MONTHS)
            answers: dict[tuple[str, date], tuple[str, bool, str]] = {}
            for end in ends:
                for s in service.stances(topic=topic, as_of=end.isoformat(),
                                         known_at=state.known_at,
                                         reported_by=state.reported_by).stances:
                    words = s.stance if s.certain else \
                        f"{s.stance}, not certain (may be {' or '.join(s.possible)})"
                    answers[(s.actor, end)] = (s.stance, s.certain, words)

            def href(actor: str, end: date) -> str:
                return PageState(as_of=end.isoformat(), known_at=state.known_at,
                                 reported_by=state.reported_by, actor=actor,
                                 topic=topic).query() + "#matrix-section"

            panel = chart.panel_chart([(a, names.get(a, (a, ""))[0]) for a in actors], ends,
                                      answers, href)
    return {"topic": topic, "topic_title": topic_titles.get(topic or "", topic or ""),
            "topics": topics, "panel": panel, "state": state, "known_at_text": known_text,
            "first": ends[0] if ends else None, "last": ends[-1] if ends else None,
            "human_date": chart.human_date, "stances": chart.STANCES,
            "actor": state.actor}, notices
