"""The TimelineJS conversion: dates at their precision, open starts, escaping, groups."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from stanceline.answers import LogView
from stanceline.domain.events import EVENT_BATCH_IN, RecordedEvent, prepare
from stanceline.domain.voids import Void
from stanceline.exports.timelinejs import TimelineEvent, slide, to_timelinejs

NAMES = {"gbr": "United Kingdom", "keir-starmer": "Keir Starmer", "fra": "France & co"}
TOPICS = {"troops-in-ukraine": "A force in Ukraine"}


def recorded(position: int = 1, **event: Any) -> RecordedEvent:
    """An input event through the real preparation (dates resolved as on append)."""
    event.setdefault("type", "statement.made")
    event.setdefault("data", {"actor": "gbr", "speaker": "keir-starmer",
                              "topic": "troops-in-ukraine", "summary": "A summary."})
    event.setdefault("source", {"document": "web-test", "quote": "a quote"})
    prepared = prepare(EVENT_BATCH_IN.validate_python([event])[0])
    kept = {f.name: getattr(prepared, f.name) for f in fields(RecordedEvent)
            if hasattr(prepared, f.name)}
    return RecordedEvent(**kept, position=position, version=position,
                         recorded_at=datetime(2026, 1, 1, tzinfo=UTC), hash="", prev_hash="")


def one(**event: Any) -> TimelineEvent:
    return slide(recorded(**event), NAMES, TOPICS)


def view(*events: RecordedEvent, type: str | None = None,
         voids: dict[str, Void] | None = None) -> LogView:
    return LogView(list(events), voids or {}, NAMES, TOPICS, type, None)


def test_dates_keep_their_precision() -> None:
    assert one(occurred="2025-02-03")["start_date"] == {"year": 2025, "month": 2, "day": 3}
    month = one(occurred="2024-02")
    assert month["start_date"] == {"year": 2024, "month": 2}
    year = one(occurred="2025")
    assert year["start_date"] == {"year": 2025}
    # One whole month or year is what its start says: a point at that precision, no range.
    assert "end_date" not in month and "end_date" not in year
    assert "end_date" not in one(occurred="2025-02-03")


def test_spans_longer_than_their_start_get_an_end_date() -> None:
    quarter = one(occurred_text="Q1 2025")
    assert quarter["start_date"] == {"year": 2025, "month": 1}
    assert quarter["end_date"] == {"year": 2025, "month": 3}
    week = one(occurred_text="last week", relative_to="2025-02-05")
    assert week["start_date"] == {"year": 2025, "month": 1, "day": 27}
    assert week["end_date"] == {"year": 2025, "month": 2, "day": 2}
    assert "Date as written: “last week”" in week["text"]["text"]


def test_an_open_start_is_placed_at_its_end_and_says_on_or_before() -> None:
    day = one(occurred="../2025-02-20")
    assert day["start_date"] == {"year": 2025, "month": 2, "day": 20,
                                 "display_date": "On or before 20 February 2025"}
    assert "end_date" not in day
    assert "on or before 20 February 2025" in day["text"]["text"]
    month = one(occurred="../2025-01")
    assert month["start_date"] == {"year": 2025, "month": 1,
                                   "display_date": "On or before January 2025"}


def test_every_string_is_escaped_and_the_quote_is_a_blockquote() -> None:
    found = one(occurred="2025-03-02",
                data={"actor": "fra", "topic": "troops-in-ukraine", "stance": "supports",
                      "summary": "<script>alert(1)</script>"},
                type="stance.declared",
                source={"document": "doc<1>", "publisher": "A & B", "published": "2025-03",
                        "url": "https://example.org/a?b=1&c=\"2\"",
                        "quote": "He said \"<b>yes</b>\" & left"})
    html = found["text"]["text"]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<blockquote>He said &quot;&lt;b&gt;yes&lt;/b&gt;&quot; &amp; left</blockquote>" in html
    assert "doc&lt;1&gt;, A &amp; B, 2025-03" in html
    assert '<a href="https://example.org/a?b=1&amp;c=&quot;2&quot;">' in html
    assert found["text"]["headline"] == "France &amp; co: supports on A force in Ukraine"
    assert found["group"] == "France &amp; co"


def test_a_javascript_url_is_never_a_link() -> None:
    found = one(occurred="2025-03-02",
                source={"document": "web-test", "url": "javascript:alert(1)",
                        "quote": "a quote"})
    assert "<a " not in found["text"]["text"]
    assert "javascript:alert(1)" in found["text"]["text"]


def test_groups_are_actor_names_and_ids_are_event_ids() -> None:
    unattributed = recorded(4, occurred="2025-01", type="claim.made",
                            data={"subject": "army-size", "value": 800000, "unit": "troops"})
    stance = recorded(occurred="2025-03-02", type="stance.declared",
                      data={"actor": "gbr", "topic": "troops-in-ukraine",
                            "stance": "conditional", "speaker": "keir-starmer"})
    claim = recorded(2, occurred="2025-03", type="claim.made",
                     data={"speaker": "keir-starmer", "subject": "force-size",
                           "qualifier": "fewer than", "value": 30000, "unit": "troops"})
    meeting = recorded(3, occurred="2025-03-03", type="meeting.held",
                       data={"title": "Lancaster House summit", "participants": ["gbr"]})
    doc = to_timelinejs(view(stance, claim, meeting, unattributed))
    by_id = {e["unique_id"]: e for e in doc["events"]}
    assert by_id[stance.id]["group"] == "United Kingdom"
    assert by_id[claim.id]["group"] == "Keir Starmer"
    assert by_id[meeting.id]["group"] == "Meetings and agreements"
    assert by_id[unattributed.id]["group"] == "Unattributed"
    assert by_id[unattributed.id]["text"]["headline"] == "Claim: 800,000 troops"
    assert by_id[claim.id]["text"]["headline"] == "Keir Starmer: fewer than 30,000 troops"
    assert by_id[meeting.id]["text"]["headline"] == "Lancaster House summit"
    assert "<p>Speaker: Keir Starmer</p>" in by_id[stance.id]["text"]["text"]
    assert doc["title"]["text"]["text"].endswith("<p>4 events from the Stanceline log, each "
                                                 "with its verbatim quote and source.</p>")


def test_registry_entries_retractions_and_undated_events_are_no_slides() -> None:
    actor = recorded(type="actor.registered",
                     data={"actor": "gbr", "name": "United Kingdom", "kind": "country"},
                     source=None)
    retraction = recorded(2, type="event.retracted", occurred="2025-03-04",
                          data={"target": "00000000-0000-0000-0000-000000000001"})
    stance = recorded(3, occurred="2025-03-02")
    assert [e["unique_id"] for e in to_timelinejs(view(actor, retraction, stance))["events"]] \
        == [stance.id]
    # Asked for by type, they are what the reader wants to see.
    assert len(to_timelinejs(view(retraction, type="event.retracted"))["events"]) == 1


def test_a_voided_event_says_so() -> None:
    stance = recorded(occurred="2025-03-02")
    void = Void(stance.id, "the-correction", False, datetime(2026, 1, 2, tzinfo=UTC))
    html = to_timelinejs(view(stance, voids={stance.id: void}))["events"][0]["text"]["text"]
    assert html.startswith("<p><strong>Superseded</strong> by event the-correction")


def test_the_title_escapes_the_description() -> None:
    doc = to_timelinejs(view(), title="A <title>", description="actor <fra>")
    assert doc["title"]["text"] == {
        "headline": "A &lt;title&gt;",
        "text": "<p>actor &lt;fra&gt;</p><p>0 events from the Stanceline log, each with its "
                "verbatim quote and source.</p>"}
