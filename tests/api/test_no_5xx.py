"""Nothing the API accepts can break a read: random batches of events (the seeded actors,
topics and speakers, dates across and beyond the supported range, edge figures, any text) are
appended, each accepted or refused with a 4xx, and then the page, every read of the API and
every CSV export still answer without a server error."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.dates import EARLIEST, LATEST

ROOT = Path(__file__).resolve().parents[2]

COUNTRIES = ["gbr", "fra", "deu", "pol", "rus", "usa", "ukr", "nld", "est", "baltic-states",
             "coalition-of-the-willing", "nato", "eu"]
SPEAKERS = ["keir-starmer", "emmanuel-macron", "volodymyr-zelenskyy", "donald-trump",
            "friedrich-merz", "mark-rutte"]
TOPICS = ["troops-in-ukraine", "own-troops", "air-policing", "naval-mission", "us-backstop",
          "ceasefire", "security-guarantees"]
STANCES = ["supports", "opposes", "conditional", "undecided"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One seeded app for every example: the log only grows, as it would in service."""
    url = f"sqlite:///{tmp_path_factory.mktemp('no5xx') / 'log.db'}"
    app = create_app(Settings(database_url=url, load_seed=True, seed_events_dir=ROOT / "events"))
    with TestClient(app) as made:
        yield made


# Mostly inside the range, sometimes just outside it or near the ends of the calendar.
days = st.one_of(st.dates(EARLIEST, LATEST), st.dates(EARLIEST, LATEST),
                 st.dates(date(1, 1, 1), date(9999, 12, 31)),
                 st.sampled_from([EARLIEST, LATEST, date(1799, 12, 31), date(2201, 1, 1)]))


@st.composite
def edtf(draw: st.DrawFn) -> str:
    day = draw(days)
    form = draw(st.sampled_from(["day", "month", "year", "open"]))
    if form == "day":
        return day.isoformat()
    if form == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if form == "year":
        return f"{day.year:04d}"
    return f"../{day.isoformat()}"


query_dates = st.one_of(edtf().filter(lambda t: not t.startswith("..")),
                        st.sampled_from(["last February", "a year ago", "yesterday",
                                         "mid-2024", "0001-01-01", "9999-12-31",
                                         "0999-01-01T00:00:00Z", "9000 years ago"]))
# Mostly what a source could claim; now and then an edge that must be accepted or refused
# cleanly (NaN, infinities, just past the bound, the smallest subnormal).
figures = st.one_of(st.floats(-1e12, 1e12), st.floats(-1e12, 1e12), st.integers(0, 10**6),
                    st.floats(), st.integers(-10**13, 10**13),
                    st.sampled_from([1e12, -1e12, 1e12 + 1, 5e-324, -0.0, math.inf, -math.inf,
                                     math.nan, 1e308]))
# Any text, a NUL in it only now and then (it is refused, and would hide the rest).
_clean = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
text = st.one_of(st.text(_clean, max_size=40), st.text(_clean, max_size=40),
                 st.text(max_size=40))
short = st.one_of(st.text(_clean, min_size=1, max_size=40),
                  st.text(_clean, min_size=1, max_size=40), st.text(min_size=1, max_size=40))


def sourced(draw: st.DrawFn, event: dict[str, Any]) -> dict[str, Any]:
    """The envelope's date, source and extras around a payload."""
    if draw(st.booleans()):
        event["occurred"] = draw(edtf())
    else:
        event["occurred_text"] = draw(st.sampled_from(["last February", "previously",
                                                       "early 2025", "a year ago"]))
        event["relative_to"] = draw(edtf().filter(lambda t: not t.startswith("..")))
    source: dict[str, Any] = {"document": draw(short), "quote": draw(short)}
    if draw(st.booleans()):
        source["published"] = draw(edtf().filter(lambda t: not t.startswith("..")))
    event["source"] = source
    if draw(st.booleans()):
        event["note"] = draw(text)
    return event


@st.composite
def stance_event(draw: st.DrawFn) -> dict[str, Any]:
    stance = draw(st.sampled_from(STANCES))
    data: dict[str, Any] = {"actor": draw(st.sampled_from(COUNTRIES)),
                            "topic": draw(st.sampled_from(TOPICS)), "stance": stance,
                            "summary": draw(text)}
    if stance == "conditional":
        data["conditions"] = draw(st.lists(st.fixed_dictionaries(
            {"on": st.sampled_from(TOPICS), "text": short}), max_size=3))
    if draw(st.booleans()):
        data["speaker"] = draw(st.sampled_from(SPEAKERS))
    return sourced(draw, {"type": "stance.declared", "data": data})


@st.composite
def claim_event(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"actor": draw(st.sampled_from(COUNTRIES)),
                            "subject": draw(st.sampled_from(["force-size", "budget"])),
                            "unit": "troops"}
    if draw(st.booleans()):
        data["value"] = draw(figures)
    else:
        data["low"], data["high"] = draw(figures), draw(figures)
    return sourced(draw, {"type": "claim.made", "data": data})


@st.composite
def other_event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["statement.made", "meeting.held", "agreement.signed"]))
    data: dict[str, Any]
    if kind == "statement.made":
        data = {"actor": draw(st.sampled_from(COUNTRIES)),
                "speaker": draw(st.sampled_from(SPEAKERS)),
                "topic": draw(st.sampled_from(TOPICS)), "summary": draw(text)}
    elif kind == "meeting.held":
        data = {"title": draw(short), "participants": draw(st.lists(
            st.sampled_from(COUNTRIES + SPEAKERS), max_size=4, unique=True))}
    else:
        data = {"title": draw(short), "signatories": draw(st.lists(
            st.sampled_from(COUNTRIES), max_size=4, unique=True))}
    return sourced(draw, {"type": kind, "data": data})


batches = st.lists(st.one_of(stance_event(), claim_event(), other_event()),
                   min_size=1, max_size=4)


def reads(known: dict[str, Any], day: str) -> list[tuple[str, dict[str, str]]]:
    """Every read, each with the date drawn for this example where it takes one."""
    actor, topic, event_id = known["actor"], known["topic"], known["event"]
    csv = {"format": "csv"}
    return [
        ("/", {}), ("/", {"as_of": day}), ("/", {"known_at": day, "topic": topic}),
        ("/panel", {"topic": topic}),
        ("/api/events", {}), ("/api/events", {"from": day, "limit": "1000"}),
        ("/api/events", {"to": day, "include_retracted": "true", **csv}),
        (f"/api/events/{event_id}", {"known_at": day}),
        ("/api/stances", {}), ("/api/stances", {"as_of": day, **csv}),
        ("/api/stances", {"actor": actor, "topic": topic, "as_of": day}),
        ("/api/stances", {"topic": topic, "reported_by": day, "known_at": day}),
        ("/api/history", {"actor": actor, "topic": topic}),
        ("/api/history", {"actor": actor, "topic": topic, "known_at": day, **csv}),
        ("/api/changes", {"from": "1800", "to": "2200"}),
        ("/api/changes", {"from": day, **csv}),
        ("/api/claims", {}), ("/api/claims", {"as_of": day, **csv}),
        ("/api/panel", {"from": "2024-01", "topic": topic}),
        ("/api/panel", {"from": day, "to": "2026-12", "every": "year", **csv}),
        ("/api/actors", {}), ("/api/actors", csv), (f"/api/actors/{actor}", {}),
        ("/api/topics", {}), ("/api/topics", csv),
        ("/api/dates", {"text": day}), ("/api/verify", {}),
    ]


# The cases the issue found, always tried: each once made `GET /` a 500 for ever.
EDGE_CLAIM: dict[str, Any] = {"type": "claim.made", "occurred": "2025-02",
                              "data": {"subject": "force-size", "value": 1},
                              "source": {"document": "test", "quote": "a quote"}}


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@example(batch=[EDGE_CLAIM | {"data": {"subject": "force-size", "value": math.nan}}],
         actor="gbr", topic="troops-in-ukraine", day="2025-02")
@example(batch=[EDGE_CLAIM | {"data": {"subject": "force-size", "low": -math.inf, "high": 1}}],
         actor="gbr", topic="troops-in-ukraine", day="9999-12-31")
@example(batch=[EDGE_CLAIM | {"occurred": "0050"}, EDGE_CLAIM | {"occurred": "../9999-12-31"}],
         actor="pol", topic="troops-in-ukraine", day="0001-01-01")
@given(batch=batches, actor=st.sampled_from(COUNTRIES + SPEAKERS),
       topic=st.sampled_from(TOPICS), day=query_dates)
def test_random_accepted_events_never_break_a_read(client: TestClient,
                                                   batch: list[dict[str, Any]], actor: str,
                                                   topic: str, day: str) -> None:
    # Encoded here: httpx refuses NaN and infinities, which a client may well send.
    body = json.dumps({"events": batch}, allow_nan=True)
    answer = client.post("/api/events", content=body,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code in (201, 409, 422), answer.text
    assert "error" in answer.json() or answer.status_code == 201
    head = client.get("/api/events", params={"limit": "1"}).json()["events"][0]["id"]
    known = {"actor": actor, "topic": topic, "event": head}
    for path, params in reads(known, day):
        got = client.get(path, params=params)
        assert got.status_code < 500, (path, params, got.text[:500])
        if got.status_code >= 400 and path.startswith("/api"):
            assert got.json()["detail"], (path, params)
    assert client.get("/api/verify").json()["ok"] is True
