"""Issue 11.5: retractions are visible. An event says what voided it and when, as known at K;
the event list leaves the voided out unless asked; the timeline strikes them through."""

from __future__ import annotations

import time
import uuid

from fastapi.testclient import TestClient

from tests.api.conftest import stance_json
from tests.web.html_tree import parse


def _log(client: TestClient) -> tuple[str, str, str, str, str]:
    first, second, kept = (str(uuid.uuid4()) for _ in range(3))
    client.post("/api/events", json={"events": [
        stance_json("fra", id=first), stance_json("pol", "opposes", id=second),
        stance_json("deu", "opposes", id=kept)]}).raise_for_status()
    before = client.get(f"/api/events/{kept}").json()["recorded_at"]
    time.sleep(0.01)
    retraction, correction = str(uuid.uuid4()), str(uuid.uuid4())
    client.post("/api/events", json={"events": [
        {"type": "event.retracted", "id": retraction,
         "data": {"target": first, "reason": "misread"}},
        stance_json("pol", "undecided", id=correction, supersedes=second)]}).raise_for_status()
    return first, second, retraction, correction, before


def test_an_event_says_what_voided_it_and_when(client: TestClient) -> None:
    first, second, retraction, correction, before = _log(client)
    got = client.get(f"/api/events/{first}").json()
    recorded = client.get(f"/api/events/{retraction}").json()["recorded_at"]
    assert (got["retracted_by"], got["superseded_by"]) == (retraction, None)
    assert got["retracted_at"] == recorded
    corrected = client.get(f"/api/events/{second}").json()
    assert (corrected["retracted_by"], corrected["superseded_by"]) == (None, correction)
    assert corrected["retracted_at"] == recorded
    live = client.get(f"/api/events/{correction}").json()
    assert live["retracted_by"] is None and live["superseded_by"] is None
    assert live["retracted_at"] is None
    # As known before the retraction, it was a live event.
    then = client.get(f"/api/events/{first}", params={"known_at": before}).json()
    assert then["retracted_by"] is None and then["retracted_at"] is None


def test_the_list_leaves_the_voided_out_unless_asked(client: TestClient) -> None:
    first, second, retraction, correction, before = _log(client)
    ids = [e["id"] for e in client.get("/api/events").json()["events"]]
    assert first not in ids and second not in ids and correction in ids and retraction in ids
    every = client.get("/api/events", params={"include_retracted": "true"}).json()["events"]
    by_id = {e["id"]: e for e in every}
    assert by_id[first]["retracted_by"] == retraction
    assert by_id[second]["superseded_by"] == correction
    assert by_id[correction]["retracted_by"] is None
    then = client.get("/api/events", params={"known_at": before}).json()["events"]
    assert first in {e["id"] for e in then}
    # Only registrations naming it are left: both its stances are withdrawn.
    fra = client.get("/api/events", params={"actor": "fra"}).json()["events"]
    assert {e["type"] for e in fra} == {"actor.registered"}


def test_the_timeline_strikes_the_voided_through(client: TestClient) -> None:
    first, second, _retraction, correction, before = _log(client)
    # By default the withdrawn are left out (no lane for what no longer counts) ...
    plain = parse(client.get("/").text)
    drawn = {a.get("data-id") for a in plain.by_id("timeline-marks").find_all("a")}
    assert correction in drawn and first not in drawn and second not in drawn
    assert plain.by_id("show-retracted").get("href") == "?retracted=show"
    # ... and with the toggle they are struck through, never live marks.
    doc = parse(client.get("/?retracted=show").text)
    assert doc.by_id("hide-retracted") is not None
    marks = {a.get("data-id"): a for a in doc.by_id("timeline-marks").find_all("a")}
    for voided in (first, second):
        mark = marks[voided]
        classes = str(mark.get("class")).split()
        assert "voided" in classes and "k-voided" in classes, classes
        assert not {"k-supports", "k-opposes"} & set(classes)
        assert mark.find("line", class_="strike") is not None
        assert mark.find("title").words().startswith("Retracted")
    live = marks[correction]
    assert "voided" not in str(live.get("class")).split()
    assert live.find_all("line", class_="strike") == []
    # Filtered by actor, the retraction (which names no actor) is not drawn: still struck.
    doc = parse(client.get("/?actor=fra&retracted=show").text)
    mark = doc.by_id("timeline-marks").find("a", data_id=first)
    assert "voided" in str(mark.get("class")).split()
    # As known before the retraction, the mark was live.
    doc = parse(client.get("/", params={"known_at": before}).text)
    mark = doc.by_id("timeline-marks").find("a", data_id=first)
    assert "voided" not in str(mark.get("class")).split()
