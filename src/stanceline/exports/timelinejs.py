"""The log as TimelineJS's JSON (https://timeline.knightlab.com/docs/json-format.html).

A pure conversion: a `LogView` (events with the names to show them by) becomes the plain
dicts TimelineJS reads. What a journalist publishing with TimelineJS expects:

- one slide per dated event, `unique_id` its event id, `group` its actor's name (one row of
  the time navigator per actor; meetings and agreements, which name several, share one);
- dates keep their precision: a day is `{year, month, day}`, a month `{year, month}`, a year
  `{year}`; TimelineJS then prints "February 2024", never an invented 1 February. An
  `end_date` appears only where the span is longer than its start says (a week, a quarter, a
  season, "a year or two ago"): a month-dated event is one point at month precision, not a
  range from the first to the first of the same month;
- an open start (`../2025-02-20`, "on or before") is placed at its end, the latest day it can
  have been, and says so in `display_date` and in the text;
- the text carries the summary, the verbatim quote in a `<blockquote>` and the source
  (document, publisher, publication date, a link where the URL is http(s)). TimelineJS
  renders it as HTML, so every string from the log is escaped here.

Registry entries (actors, topics) are not things that happened and retractions are about the
log rather than the world: both are left out unless the read asked for their type.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from html import escape
from typing import NotRequired
from urllib.parse import urlsplit

from typing_extensions import TypedDict

from stanceline.answers import LogView
from stanceline.domain.events import RecordedEvent
from stanceline.domain.payloads import REGISTRY_TYPES
from stanceline.domain.projections import RETRACTION
from stanceline.domain.voids import Void

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

TYPE_LABELS = {
    "stance.declared": "Stance",
    "claim.made": "Claim",
    "statement.made": "Statement",
    "meeting.held": "Meeting",
    "meeting.scheduled": "Meeting scheduled",
    "agreement.signed": "Agreement",
    "event.retracted": "Retraction",
}


# typing_extensions' TypedDict: pydantic (the route's response model) needs it before 3.12.
class TimelineDate(TypedDict):
    """A TimelineJS date: as many parts as the date is precise to."""

    year: int
    month: NotRequired[int]
    day: NotRequired[int]
    display_date: NotRequired[str]


class TimelineText(TypedDict):
    """A slide's headline and its HTML text."""

    headline: str
    text: str


class TimelineTitle(TypedDict):
    """The title slide."""

    text: TimelineText


class TimelineEvent(TypedDict):
    """One slide: one event of the log."""

    start_date: TimelineDate
    end_date: NotRequired[TimelineDate]
    text: TimelineText
    group: str
    unique_id: str


class TimelineJS(TypedDict):
    """A whole TimelineJS document."""

    title: TimelineTitle
    events: list[TimelineEvent]


def to_timelinejs(view: LogView, *, title: str = "Stanceline",
                  description: str = "") -> TimelineJS:
    """The events of a log read as a TimelineJS document (undated events are left out)."""
    slides = [slide(e, view.actor_names, view.topic_titles, view.voids.get(e.id))
              for e in view.events if shown(e, view.type)]
    intro = f"<p>{escape(description)}</p>" if description else ""
    intro += (f"<p>{len(slides)} event{'' if len(slides) == 1 else 's'} from the Stanceline "
              "log, each with its verbatim quote and source.</p>")
    return {"title": {"text": {"headline": escape(title), "text": intro}}, "events": slides}


def shown(event: RecordedEvent, asked_type: str | None) -> bool:
    """Whether an event is a slide: it has a date and happened in the world (or its type
    was asked for)."""
    if event.occurred_end is None:
        return False
    if event.type in REGISTRY_TYPES or event.type == RETRACTION:
        return asked_type == event.type
    return True


def slide(event: RecordedEvent, actor_names: Mapping[str, str],
          topic_titles: Mapping[str, str], void: Void | None = None) -> TimelineEvent:
    """One event as a TimelineJS slide (the event must have a date: see `shown`)."""
    end = event.occurred_end
    if end is None:
        raise ValueError(f"event {event.id} has no date, so no slide")
    precision = event.precision or "day"
    start = event.occurred_start
    found: TimelineEvent = {
        "start_date": timeline_date(end if start is None else start, precision),
        "text": {"headline": escape(headline(event, actor_names, topic_titles)),
                 "text": text(event, actor_names, void)},
        "group": escape(group(event, actor_names)),
        "unique_id": event.id,
    }
    if start is None:
        found["start_date"]["display_date"] = f"On or before {human(end, precision)}"
    elif not _one_unit(start, end, precision):
        found["end_date"] = timeline_date(end, precision)
    return found


def group(event: RecordedEvent, actor_names: Mapping[str, str]) -> str:
    """The row of TimelineJS's navigator an event goes to (unescaped): its actor's name (its
    speaker's when it names no actor). Every slide has one, since TimelineJS puts the
    ungrouped into a row with no label."""
    who = event.actor or str(event.data.get("speaker") or "")
    if who:
        return actor_names.get(who, who)
    if event.type in ("meeting.held", "meeting.scheduled", "agreement.signed"):
        return "Meetings and agreements"
    return "Unattributed"


def timeline_date(day: date, precision: str) -> TimelineDate:
    """A calendar date as TimelineJS takes it, cut to its precision."""
    if precision == "year":
        return {"year": day.year}
    if precision == "month":
        return {"year": day.year, "month": day.month}
    return {"year": day.year, "month": day.month, "day": day.day}


def _one_unit(start: date, end: date, precision: str) -> bool:
    """Whether a span is exactly what its start says at its precision (one day, one calendar
    month, one calendar year), so it needs no end date."""
    if precision == "year":
        return start.year == end.year
    if precision == "month":
        return (start.year, start.month) == (end.year, end.month)
    return start == end


def human(day: date, precision: str) -> str:
    """A date in words at its precision: `20 February 2025`, `February 2025`, `2025`."""
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return f"{MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def headline(event: RecordedEvent, actor_names: Mapping[str, str],
             topic_titles: Mapping[str, str]) -> str:
    """A slide's headline (unescaped): who took which stance on what, else the event's
    title, else what it is and who made it."""
    data = event.data
    actor = actor_names.get(event.actor or "", event.actor or "")
    if event.type == "stance.declared":
        topic = topic_titles.get(event.topic or "", event.topic or "")
        return f"{actor}: {data.get('stance')} on {topic}"
    title = str(data.get("title") or "").strip()
    if title:
        return title
    speaker = str(data.get("speaker") or "")
    by = actor or actor_names.get(speaker, speaker)
    if event.type == "claim.made":
        figure = " ".join(part for part in (data.get("qualifier"), number(data),
                                            data.get("unit")) if part)
        return f"{by or 'Claim'}: {figure}" if figure else f"Claim by {by}" if by else "Claim"
    label = TYPE_LABELS.get(event.type, event.type)
    return f"{label} by {by}" if by else label


def number(data: Mapping[str, object]) -> str:
    """A claim's figure as written for reading: `10,000`, `5,000-10,000`, or empty."""
    def fmt(value: object) -> str:
        return f"{value:,.0f}" if isinstance(value, int | float) else ""

    if data.get("value") is not None:
        return fmt(data["value"])
    low, high = fmt(data.get("low")), fmt(data.get("high"))
    return f"{low}-{high}" if low or high else ""


def text(event: RecordedEvent, actor_names: Mapping[str, str],
         void: Void | None = None) -> str:
    """A slide's HTML: the summary, the date as written, the quote and the source; every
    string from the log escaped."""
    data = event.data
    parts: list[str] = []
    if void is not None:
        what = "Retracted" if void.retraction else "Superseded"
        parts.append(f"<p><strong>{what}</strong> by event {escape(void.by)}: it no longer "
                     "counts.</p>")
    summary = str(data.get("summary") or "").strip()
    if summary:
        parts.append(f"<p>{escape(summary)}</p>")
    speaker = str(data.get("speaker") or "")
    if speaker and speaker != event.actor:
        parts.append(f"<p>Speaker: {escape(actor_names.get(speaker, speaker))}</p>")
    if event.occurred_start is None and event.occurred_end is not None:
        written = f" (“{escape(event.occurred_text)}”)" if event.occurred_text else ""
        parts.append("<p>Date: on or before "
                     f"{human(event.occurred_end, event.precision or 'day')}{written}; the "
                     "source does not say how long before.</p>")
    elif event.occurred_text:
        parts.append(f"<p>Date as written: “{escape(event.occurred_text)}”</p>")
    source = event.source or {}
    quote = source.get("quote")
    if quote:
        parts.append(f"<blockquote>{escape(str(quote))}</blockquote>")
    cited = source_line(source)
    if cited:
        parts.append(f"<p>Source: {cited}</p>")
    if event.disputed:
        note = f": {escape(event.note)}" if event.note else ""
        parts.append(f"<p><em>Disputed</em>{note}</p>")
    return "".join(parts)


def source_line(source: Mapping[str, object]) -> str:
    """The source as HTML: document, publisher, publication date, and a link when its URL is
    http(s) (a `javascript:` URL is never a link)."""
    bits = [escape(str(source[key])) for key in ("document", "publisher", "published")
            if source.get(key)]
    url = source.get("url")
    if isinstance(url, str) and url.strip():
        if _linkable(url):
            bits.append(f'<a href="{escape(url.strip(), quote=True)}">{escape(url.strip())}</a>')
        else:
            bits.append(escape(url))
    return ", ".join(bits)


def _linkable(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
