"""The projection routes on the seeded record: the worked examples of the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings

ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("seeded") / "s.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", seed_events_dir=ROOT / "events"))
    with TestClient(app) as client:
        yield client


def stance_of(client: TestClient, actor: str, as_of: str, **params: str) -> dict[str, object]:
    r = client.get("/api/stances", params={"actor": actor, "topic": T, "as_of": as_of,
                                           **params})
    assert r.status_code == 200, r.text
    body = r.json()
    [answer] = body["stances"]
    return {"as_of": body["as_of"], **answer}


# Poland and Germany ruled out their own soldiers (`own-troops`), which says nothing of the
# mission itself; France's February 2024 idea was for wartime roles (`troops-during-war`).
@pytest.mark.parametrize(("actor", "as_of", "stance"), [
    ("pol", "15 February 2025", "unknown"),
    ("deu", "15 February 2025", "unknown"),
    ("fra", "15 February 2025", "unknown"),
    ("gbr", "15 February 2025", "unknown"),
    ("gbr", "2026-01-10", "conditional"),
    ("fra", "10 January 2026", "conditional"),
    ("rus", "2026-01-10", "opposes"),
    ("baltic-states", "2025-02-15", "conditional"),
])
def test_where_they_stood(seeded: TestClient, actor: str, as_of: str, stance: str) -> None:
    assert stance_of(seeded, actor, as_of)["stance"] == stance


def test_france_as_of_10_february_2024_is_not_certain(seeded: TestClient) -> None:
    answer = stance_of(seeded, "fra", "2024-02-10", topic="troops-during-war")
    assert answer["stance"] == "unknown" and answer["certain"] is False
    assert answer["possible"] == ["supports"]
    evidence = answer["evidence"]
    assert isinstance(evidence, list) and evidence[0]["occurred_text"] == "last February"
    assert evidence[0]["occurred"] == "2024-02" and evidence[0]["counts"] == "possible"
    assert stance_of(seeded, "fra", "2024-02-29", topic="troops-during-war")["certain"] is True


def test_the_uk_in_february_2025_may_already_be_conditional(seeded: TestClient) -> None:
    answer = stance_of(seeded, "gbr", "2025-02-15")
    assert answer["certain"] is False and "conditional" in answer["possible"]


def test_natural_language_dates_are_resolved_and_echoed(seeded: TestClient) -> None:
    assert stance_of(seeded, "fra", "3 February 2025")["as_of"] == "2025-02-03"
    assert stance_of(seeded, "fra", "2025-02")["as_of"] == "2025-02-28"
    assert stance_of(seeded, "fra", "2025")["as_of"] == "2025-12-31"
    r = seeded.get("/api/stances", params={"as_of": "the day after never"})
    assert r.status_code == 422 and "the day after never" in r.json()["detail"]


def test_known_at_and_aliases(seeded: TestClient) -> None:
    early = seeded.get("/api/stances", params={"actor": "fra", "topic": T,
                                               "known_at": "2000-01-01"}).json()
    assert early["stances"][0]["stance"] == "unknown"
    assert early["known_at"].startswith("2000-01-01T23:59:59")
    by_alias = seeded.get("/api/stances", params={"actor": "Kir Starmer", "topic": T}).json()
    assert {s["speaker"] for s in by_alias["stances"]} == {"keir-starmer"}
    missing = seeded.get("/api/stances", params={"actor": "Nobody At All", "topic": T})
    assert missing.status_code == 404
    assert seeded.get("/api/stances", params={"known_at": "2025-13-45T00:00"}).status_code == 422


def test_matrix_of_a_topic(seeded: TestClient) -> None:
    body = seeded.get("/api/stances", params={"topic": T, "as_of": "2026-01-10"}).json()
    actors = {s["actor"]: s["stance"] for s in body["stances"]}
    assert "pol" not in actors and actors["gbr"] == "conditional"
    assert all(s["topic"] == T for s in body["stances"])


def test_the_matrix_carries_evidence_ids_unless_full_is_asked(seeded: TestClient) -> None:
    params = {"topic": T, "as_of": "2026-01-10"}
    lean = seeded.get("/api/stances", params=params).json()["stances"]
    full = seeded.get("/api/stances", params={**params, "evidence": "full"}).json()["stances"]
    assert lean and len(lean) == len(full)
    assert all("evidence" not in row for row in lean)
    assert any(row["evidence_ids"] for row in lean)
    for short, long in zip(lean, full, strict=True):
        assert short["evidence_ids"] == [e["id"] for e in long["evidence"]]
        assert short == {k: v for k, v in long.items() if k != "evidence"} | {
            "evidence_ids": short["evidence_ids"]}
    # One pair, or an actor's stances, stay full unless ids are asked for.
    pair = seeded.get("/api/stances", params={**params, "actor": "gbr"}).json()["stances"]
    assert pair[0]["evidence"] and "evidence_ids" not in pair[0]
    ids = seeded.get("/api/stances", params={**params, "actor": "gbr", "evidence": "ids"})
    assert ids.json()["stances"][0]["evidence_ids"] == [e["id"] for e in pair[0]["evidence"]]
    bad = seeded.get("/api/stances", params={**params, "evidence": "some"})
    assert bad.status_code == 422 and "evidence" in bad.json()["detail"]
    documented = seeded.get("/openapi.json").json()["paths"]["/api/stances"]["get"]
    assert "evidence" in {p["name"] for p in documented["parameters"]}


def test_history_changes_and_claims(seeded: TestClient) -> None:
    history = seeded.get("/api/history", params={"actor": "France", "topic": T}).json()
    assert history["actor"] == "fra"
    # The March 2025 reassurance force, then the January 2026 hubs "in the event of a ceasefire".
    assert [(c["since"], c["stance"]) for c in history["changes"]] == [
        ("2025-03", "supports"), ("2026-01-06", "conditional")]
    assert seeded.get("/api/history", params={"actor": "fra"}).status_code == 422
    moved = seeded.get("/api/changes", params={"from": "2025-02-15", "to": "2026-01-10",
                                               "topic": T}).json()
    assert moved["from"] == "2025-02-15" and moved["to"] == "2026-01-10"
    fra = next(c for c in moved["changes"] if c["actor"] == "fra")
    assert (fra["before"]["stance"], fra["after"]["stance"]) == ("unknown", "conditional")
    backwards = seeded.get("/api/changes", params={"from": "2026-01-01", "to": "2025-01-01"})
    assert backwards.status_code == 422
    claims = seeded.get("/api/claims", params={"subject": "force-size"}).json()["claims"]
    values = {(c["actor"], c["value"], c["low"], c["high"]) for c in claims}
    assert ("ukr", 200000, None, None) in values and ("ukr", 110000, None, None) in values
    assert all(c["subject"] == "force-size" for c in claims)
    assert any(c["qualifier"] for c in claims)


def test_registry(seeded: TestClient) -> None:
    found = seeded.get("/api/actors", params={"q": "zelenskiy"}).json()["actors"]
    assert [a["actor"] for a in found] == ["volodymyr-zelenskyy"]
    assert [a["actor"] for a in seeded.get("/api/actors", params={"q": "KIEL KIEL"}).json()[
        "actors"]] == ["keir-starmer"]
    poland = seeded.get("/api/actors/pol").json()
    assert poland["kind"] == "country"
    assert any(s["topic"] == "own-troops" and s["stance"] == "opposes"
               for s in poland["stances"])
    assert seeded.get("/api/actors/nobody").status_code == 404
    topics = [t["topic"] for t in seeded.get("/api/topics").json()["topics"]]
    assert topics[:3] == [T, "own-troops", "troops-during-war"]


def test_disputed_events_are_marked_in_the_api(seeded: TestClient) -> None:
    events = seeded.get("/api/events", params={"limit": 1000}).json()["events"]
    disputed = [e for e in events if e["disputed"]]
    assert disputed and all(e["note"] for e in disputed)
    assert any("Biden" in e["source"]["quote"] for e in disputed)
