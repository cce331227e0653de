"""What the API accepts is bounded so no read can break: finite claimed figures, dates in the
calendar the log keeps (on events and on queries), and strings every engine can store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.dates import EARLIEST, LATEST
from tests.api.conftest import stance_json

ROOT = Path(__file__).resolve().parents[2]


def seeded_client(url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url, load_seed=True, seed_events_dir=ROOT / "events"))
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app over the seeded log, shared by the read checks (they change nothing)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bounds') / 'b.db'}"
    yield from seeded_client(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """A seeded app on each engine: what one refuses, the other must refuse too."""
    url = (f"sqlite:///{tmp_path / 'e.db'}" if request.param == "sqlite"
           else str(request.getfixturevalue("pg_url")))
    yield from seeded_client(url)


def claim(**data: Any) -> dict[str, Any]:
    return {"type": "claim.made", "occurred": "2025-02",
            "data": {"actor": "gbr", "subject": "force-size", **data},
            "source": {"document": "test", "quote": "a quote"}}


def post(client: TestClient, *events: dict[str, Any]) -> Any:
    return client.post("/api/events", json={"events": list(events)})


def refused(response: Any, path: str, words: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert words in body["detail"], body
    assert any(e["path"].startswith(path) for e in body.get("errors", [])), body


@pytest.mark.parametrize(("raw", "field"), [
    ('{"subject": "force-size", "value": NaN}', "value"),
    ('{"subject": "force-size", "value": Infinity}', "value"),
    ('{"subject": "force-size", "low": -Infinity, "high": 3}', "low"),
    ('{"subject": "force-size", "value": 1e999}', "value"),
    ('{"subject": "force-size", "high": 1e13}', "high"),
    ('{"subject": "force-size", "value": -2e12}', "value"),
])
def test_claimed_figures_are_finite_and_bounded(seeded: TestClient, raw: str,
                                                field: str) -> None:
    body = ('{"events": [{"type": "claim.made", "occurred": "2025-02", "data": ' + raw +
            ', "source": {"document": "test", "quote": "q"}}]}')
    answer = seeded.post("/api/events", content=body,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert any(e["path"] == f"events.0.data.{field}" for e in answer.json()["errors"])


def test_a_range_is_ordered_and_edge_figures_are_accepted(seeded: TestClient) -> None:
    answer = post(seeded, claim(low=10, high=2))
    assert answer.status_code == 422 and "`low` must not exceed `high`" in answer.text
    assert post(seeded, claim(value=1e12), claim(low=-1e12, high=0.0),
                claim(value=5e-324)).status_code == 201
    assert seeded.get("/api/claims").status_code == 200
    assert seeded.get("/").status_code == 200


@pytest.mark.parametrize("occurred", ["0001-01-01", "0050", "1799-12", "2201", "9999-12-31",
                                      "../1799-12-31", "../9999"])
def test_event_dates_lie_in_the_range(seeded: TestClient, occurred: str) -> None:
    refused(post(seeded, stance_json(occurred=occurred)), "events.0.occurred",
            "supported range of dates")


def worded(text: str, relative_to: str) -> dict[str, Any]:
    event = stance_json(occurred_text=text, relative_to=relative_to)
    del event["occurred"]
    return event


def test_relative_dates_and_their_reference_lie_in_the_range(seeded: TestClient) -> None:
    refused(post(seeded, worded("last February", "0050-06-01")), "events.0",
            "`relative_to` is outside")
    refused(post(seeded, worded("300 years ago", "2025-01-01")), "events.0",
            "supported range of dates")
    edges = [stance_json(occurred=EARLIEST.isoformat()), stance_json(occurred=LATEST.isoformat()),
             stance_json(occurred=f"../{EARLIEST.isoformat()}")]
    assert post(seeded, *edges).status_code == 201
    assert seeded.get("/").status_code == 200
    assert seeded.get("/api/stances", params={"as_of": "1800-01-01"}).status_code == 200


@pytest.mark.parametrize("published", ["2025-02-30", "1799", "9999-12"])
def test_a_publication_date_must_be_readable(seeded: TestClient, published: str) -> None:
    event = stance_json()
    event["source"] = {"document": "test", "quote": "q", "published": published}
    answer = post(seeded, event)
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize(("path", "params"), [
    ("/api/stances", {"as_of": "0001-01-01"}),
    ("/api/stances", {"as_of": "9999-12-31"}),
    ("/api/stances", {"as_of": "0001-01-01", "actor": "fra", "topic": "troops-in-ukraine"}),
    ("/api/stances", {"known_at": "0999-01-01"}),
    ("/api/stances", {"known_at": "0001-01-01T00:00:00Z", "actor": "pol"}),
    ("/api/stances", {"known_at": "9999-12-31T23:59:59+00:00"}),
    ("/api/stances", {"reported_by": "9999-12-31", "topic": "troops-in-ukraine"}),
    ("/api/history", {"actor": "pol", "topic": "troops-in-ukraine", "known_at": "0001"}),
    ("/api/changes", {"from": "0001-01-01"}),
    ("/api/changes", {"from": "2025-01", "to": "9999-12-31"}),
    ("/api/claims", {"as_of": "0001-01-01"}),
    ("/api/claims", {"known_at": "0500"}),
    ("/api/panel", {"from": "0001-01", "to": "0002-01", "topic": "troops-in-ukraine"}),
    ("/api/panel", {"from": "9998-01", "to": "9999-12"}),
    ("/api/events", {"from": "0001-01-01"}),
    ("/api/events", {"to": "9999-12-31"}),
    ("/api/events", {"known_at": "0999-01-01"}),
    ("/api/events/db93bd05-44cc-5dcb-8f16-cd026e1a9230", {"known_at": "0001-01-01"}),
    ("/api/dates", {"text": "9999-12-31"}),
    ("/api/dates", {"text": "last February", "relative_to": "0001-06-01"}),
])
def test_query_dates_outside_the_range_are_a_422(seeded: TestClient, path: str,
                                                 params: dict[str, str]) -> None:
    answer = seeded.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert "supported range of dates" in answer.json()["detail"]


@pytest.mark.parametrize("params", [{"as_of": "0001-01-01"}, {"known_at": "9999-12-31"},
                                    {"reported_by": "0001"}])
def test_the_page_refuses_them_readably(seeded: TestClient, params: dict[str, str]) -> None:
    answer = seeded.get("/", params=params)
    assert answer.status_code < 500
    assert "supported range of dates" in answer.text


@pytest.mark.parametrize(("where", "path"), [
    (("data", "summary"), "events.0"),
    (("source", "quote"), "events.0"),
    (("note",), "events.0"),
    (("occurred_text",), "events.0"),
])
def test_a_nul_character_is_refused_on_both_engines(either: TestClient,
                                                    where: tuple[str, ...], path: str) -> None:
    event = stance_json()
    target: dict[str, Any] = event
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = "before\x00after"
    answer = post(either, event)
    assert answer.status_code == 422, answer.text
    assert "NUL character" in answer.json()["detail"]
    assert ".".join(where) in answer.json()["detail"]


def test_a_nul_in_nested_data_is_refused_on_both_engines(either: TestClient) -> None:
    event = stance_json(value="conditional")
    event["data"]["conditions"] = [{"on": "us-backstop", "text": "a US\x00backstop"}]
    answer = post(either, event)
    assert answer.status_code == 422, answer.text
    assert "data.conditions.0.text" in answer.json()["detail"]
    assert post(either, {"type": "topic.defined", "data": {"topic": "x", "title": "\x00"}}
                ).status_code == 422
    assert either.get("/api/verify").json()["ok"] is True


def test_an_alias_that_folds_past_the_column_is_a_422(either: TestClient) -> None:
    # U+FDFA folds (NFKD) into 18 characters: 20 of them are 360 once folded.
    long_fold = "\ufdfa" * 20
    for data in ({"aliases": [long_fold]}, {"name": long_fold}, {"aliases": ["ß" * 151]}):
        event = {"type": "actor.registered",
                 "data": {"actor": "new-actor", "name": "New", "kind": "person", **data}}
        answer = post(either, event)
        assert answer.status_code == 422, answer.text
        assert "longer than 300" in answer.text
    fits = {"type": "actor.registered",
            "data": {"actor": "new-actor", "name": "ß" * 150, "kind": "person"}}
    assert post(either, fits).status_code == 201
    assert either.get("/api/actors", params={"q": "ss"}).status_code == 200


@pytest.mark.parametrize(("path", "params"), [
    ("/api/actors", {"q": "\x00"}), ("/api/events", {"actor": "fr\x00"}),
    ("/api/claims", {"subject": "force\x00"}), ("/api/dates", {"text": "\x00"}),
])
def test_a_nul_in_a_query_is_a_422_on_both_engines(either: TestClient, path: str,
                                                  params: dict[str, str]) -> None:
    answer = either.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert "NUL character" in answer.json()["detail"]
