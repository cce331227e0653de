"""`GET /api/timelinejs`: the filtered log as TimelineJS reads it (issue 12.2)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings

ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"


def seeded_client(folder: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{folder / 's.db'}",
                              seed_events_dir=ROOT / "events"))
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from seeded_client(tmp_path_factory.mktemp("timelinejs"))


@pytest.mark.parametrize("query", [
    f"topic={T}", "actor=fra", "actor=France&type=stance.declared",
    "from=2025-02&to=2025-03", f"topic={T}&known_at=2000-01-01",
])
def test_the_slides_are_the_dated_events_of_the_same_filters(seeded: TestClient,
                                                               query: str) -> None:
    events = seeded.get(f"/api/events?{query}&limit=1000").json()["events"]
    dated = [e["id"] for e in events if e["occurred_end"] is not None
             and e["type"] not in ("actor.registered", "topic.defined", "event.retracted")]
    response = seeded.get(f"/api/timelinejs?{query}")
    assert response.status_code == 200, response.text
    doc = response.json()
    assert [e["unique_id"] for e in doc["events"]] == dated
    assert set(doc) == {"title", "events"}


def test_a_slide_carries_the_events_date_quote_source_and_actor(seeded: TestClient) -> None:
    event = seeded.get(f"/api/events?actor=fra&topic={T}&type=stance.declared&limit=1"
                       ).json()["events"][0]
    slide = next(e for e in seeded.get(f"/api/timelinejs?actor=fra&topic={T}").json()["events"]
                 if e["unique_id"] == event["id"])
    assert slide["group"] == "France"
    assert slide["text"]["headline"].startswith(f"France: {event['data']['stance']} on ")
    assert slide["start_date"]["year"] == int(event["occurred_end"][:4])
    assert "<blockquote>" in slide["text"]["text"]
    assert event["source"]["document"] in slide["text"]["text"]


def test_an_unknown_name_or_parameter_is_refused(seeded: TestClient) -> None:
    assert seeded.get("/api/timelinejs?actor=nowhere").status_code == 404
    assert seeded.get("/api/timelinejs?actr=fra").status_code == 422
    assert seeded.get("/api/timelinejs?limit=0").status_code == 422


def test_a_longer_log_names_its_next_page(seeded: TestClient) -> None:
    first = seeded.get("/api/timelinejs?limit=20")
    link = first.headers["link"]
    assert link.endswith('>; rel="next"') and "after=20" in link
    rest = seeded.get(link[1:link.index(">")]).json()["events"]
    assert not {e["unique_id"] for e in rest} & {e["unique_id"]
                                                 for e in first.json()["events"]}


def test_the_openapi_document_describes_it(seeded: TestClient) -> None:
    spec = seeded.get("/openapi.json").json()
    schema = spec["paths"]["/api/timelinejs"]["get"]["responses"]["200"]["content"]
    assert schema["application/json"]["schema"] == {"$ref": "#/components/schemas/TimelineJS"}


def test_retracted_events_are_left_out_unless_asked_for(tmp_path: Path) -> None:
    for client in seeded_client(tmp_path):
        stated, retraction = str(uuid.uuid4()), str(uuid.uuid4())
        body = {"events": [
            {"id": stated, "type": "statement.made", "occurred": "2025-03-02",
             "data": {"actor": "gbr", "speaker": "keir-starmer", "topic": T,
                      "summary": "A <b>statement</b> to retract."},
             "source": {"document": "web-test", "quote": "a quote & more"}},
            {"id": retraction, "type": "event.retracted", "occurred": "2025-03-03",
             "data": {"target": stated, "reason": "misread"}}]}
        assert client.post("/api/events", json=body).status_code == 201
        ids = [e["unique_id"] for e in client.get("/api/timelinejs?actor=gbr").json()["events"]]
        assert stated not in ids and retraction not in ids
        shown = {e["unique_id"]: e for e in client.get(
            "/api/timelinejs?actor=gbr&include_retracted=true").json()["events"]}
        html = shown[stated]["text"]["text"]
        assert html.startswith(f"<p><strong>Retracted</strong> by event {retraction}")
        assert "A &lt;b&gt;statement&lt;/b&gt; to retract." in html
        assert "<blockquote>a quote &amp; more</blockquote>" in html
        # A (dated) retraction is a slide only when its type is asked for.
        asked = client.get("/api/timelinejs?type=event.retracted").json()["events"]
        assert retraction in [e["unique_id"] for e in asked]
