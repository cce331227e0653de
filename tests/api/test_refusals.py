"""Issue 11.7 and 11.9: reads refuse what does not exist (404 with the closest matches), names
resolve wherever ids do, unknown query parameters and body fields are a 422 naming them, and
invalid JSON says where."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from tests.api.conftest import B, stance_json

ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("refusals") / "s.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", seed_events_dir=ROOT / "events"))
    with TestClient(app) as client:
        yield client


def not_found(client: TestClient, url: str, **params: str) -> dict[str, object]:
    r = client.get(url, params=params)
    assert r.status_code == 404, (url, params, r.status_code, r.text[:300])
    body: dict[str, object] = r.json()
    assert body["error"] == "NotFound" and set(body) <= {"error", "detail", "errors"}
    return body


def matches(body: dict[str, object]) -> list[str]:
    errors = body["errors"]
    assert isinstance(errors, list)
    return list(errors[0]["matches"])


def test_an_unknown_topic_is_404_with_the_closest_not_unknown_certain(seeded: TestClient) -> None:
    body = not_found(seeded, "/api/stances", actor="fra", topic="troops")
    assert str(body["detail"]).startswith("no topic `troops`; did you mean `troops-in-ukraine`")
    assert T in matches(body)
    for url, params in (("/api/stances", {"topic": "troops"}),
                        ("/api/history", {"actor": "fra", "topic": "troops"}),
                        ("/api/changes", {"from": "2025-01-01", "topic": "troops"}),
                        ("/api/events", {"topic": "troops"})):
        assert T in matches(not_found(seeded, url, **params)), url


def test_an_unknown_subject_is_404_not_an_empty_list(seeded: TestClient) -> None:
    body = not_found(seeded, "/api/claims", subject="force-sizes")
    assert "did you mean `force-size`" in str(body["detail"])
    assert seeded.get("/api/claims", params={"subject": "force-size"}).json()["claims"]


@pytest.mark.parametrize("name", ["France", "france", "FRANCE"])
def test_names_resolve_where_ids_do(seeded: TestClient, name: str) -> None:
    by_id = seeded.get("/api/events", params={"actor": "fra", "limit": 500}).json()["events"]
    by_name = seeded.get("/api/events", params={"actor": name, "limit": 500}).json()["events"]
    assert by_id and by_name == by_id
    stance = seeded.get("/api/stances", params={"actor": name, "topic": T}).json()
    assert stance["stances"][0]["actor"] == "fra"
    assert seeded.get("/api/history", params={"actor": name, "topic": T}).json()["actor"] == "fra"


@pytest.mark.parametrize("name", ["deuu", "Germanyy", "Grmany"])
def test_misspelt_actors_get_the_closest_matches(seeded: TestClient, name: str) -> None:
    for url, params in (("/api/stances", {"actor": name, "topic": T}),
                        ("/api/events", {"actor": name}),
                        ("/api/history", {"actor": name, "topic": T}),
                        (f"/api/actors/{name}", {})):
        body = not_found(seeded, url, **params)
        assert "`deu` (Germany)" in str(body["detail"]), (url, body)


def test_an_unknown_event_type_is_404(seeded: TestClient) -> None:
    body = not_found(seeded, "/api/events", type="stance.declard")
    assert "stance.declared" in matches(body)


def test_the_page_answers_404_for_an_unknown_actor_or_topic(seeded: TestClient) -> None:
    for query, word in (("actor=deuu", "`deu` (Germany)"), ("topic=troops", T)):
        r = seeded.get(f"/?{query}")
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert word in r.text and 'class="notices"' in r.text


@pytest.mark.parametrize(("url", "params"), [
    ("/api/stances", {"actor": "fra", "topic": T, "asof": "2025-01-01"}),
    ("/api/stances", {"topic": T, "as_of": "2025-01-01", "known": "x"}),
    ("/api/events", {"actr": "fra"}),
    ("/api/events/00000000-0000-0000-0000-000000000000", {"x": "1"}),
    ("/api/history", {"actor": "fra", "topic": T, "as_of": "2025"}),
    ("/api/changes", {"from": "2025-01-01", "topics": T}),
    ("/api/claims", {"subjects": "force-size"}),
    ("/api/actors", {"name": "France"}),
    ("/api/topics", {"q": "x"}),
    ("/api/verify", {"depth": "1"}),
])
def test_unknown_query_parameters_are_422_naming_them(seeded: TestClient, url: str,
                                                      params: dict[str, str]) -> None:
    r = seeded.get(url, params=params)
    assert r.status_code == 422, (url, r.text)
    body = r.json()
    assert body["error"] == "InvalidInput" and "unknown query parameter" in body["detail"]
    known = {"actor", "topic", "as_of", "known_at", "after", "limit", "from", "to", "type",
             "subject", "q", "include_retracted", "reported_by"}
    for name in set(params) - known:
        assert f"`{name}`" in body["detail"]
        assert {"path": f"query.{name}"}.items() <= body["errors"][0].items() or any(
            e["path"] == f"query.{name}" for e in body["errors"])


def test_the_page_refuses_unknown_parameters(seeded: TestClient) -> None:
    r = seeded.get("/?actr=fra")
    assert r.status_code == 422 and "actr" in r.text


def test_a_misspelt_expect_is_422_not_a_silent_append(client: TestClient) -> None:
    client.post("/api/events", json={"events": [stance_json()]}).raise_for_status()
    r = client.post("/api/events", json={"events": [stance_json()], "expects": {"actor:fra": 0}})
    assert r.status_code == 422 and "expects" in r.text
    assert len(client.get("/api/events", params={"after": B}).json()["events"]) == 1


def test_invalid_json_in_a_body_says_line_and_column(client: TestClient) -> None:
    body = '{\n  "events": [\n    {"type": "stance.declared",,}\n  ]\n}'
    r = client.post("/api/events", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert (error["line"], error["column"]) == (3, 32), error
    assert "line 3, column 32" in r.json()["detail"]
