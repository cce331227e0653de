"""The event routes of DESIGN §5: status codes, shapes and error bodies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import B, make_client, stance_json


def test_append_answers_201_with_the_envelope_fields(client: TestClient) -> None:
    r = client.post("/api/events", json={"events": [stance_json(), stance_json("deu")]})
    assert r.status_code == 201
    appended = r.json()["appended"]
    assert [a["position"] - B for a in appended] == [1, 2]
    assert set(appended[0]) == {"id", "position", "stream", "version", "recorded_at", "hash"}
    assert appended[0]["recorded_at"].endswith("Z")
    got = client.get(f"/api/events/{appended[0]['id']}").json()
    assert got["occurred"] == "2024-02" and got["precision"] == "month"
    assert got["occurred_start"] == "2024-02-01" and got["occurred_end"] == "2024-02-29"
    assert got["hash"] == appended[0]["hash"]


def test_replay_answers_the_original_result(client: TestClient) -> None:
    body = {"events": [stance_json(id=str(uuid.uuid4()))]}
    first = client.post("/api/events", json=body)
    again = client.post("/api/events", json=body)
    assert again.status_code == 201 and again.json() == first.json()
    assert len(client.get("/api/events", params={"after": B}).json()["events"]) == 1


def test_version_conflict_is_409(client: TestClient) -> None:
    client.post("/api/events", json={"events": [stance_json()]})
    r = client.post("/api/events", json={"events": [stance_json()],
                                         "expect": {"actor:fra": 0}})
    assert r.status_code == 409
    assert r.json()["error"] == "VersionConflict" and "expected 0" in r.json()["detail"]
    ok = client.post("/api/events", json={"events": [stance_json()], "expect": {"actor:fra": 1}})
    assert ok.status_code == 201


def test_invalid_payload_is_422_with_field_paths(client: TestClient) -> None:
    r = client.post("/api/events", json={"events": [stance_json(), stance_json(value="maybe")]})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "InvalidInput"
    assert body["errors"][0]["path"] == "events.1.data.stance"
    assert "events.1.data.stance" in body["detail"]
    assert client.get("/api/events", params={"after": B}).json()["events"] == []


@pytest.mark.parametrize(("body", "content_type"), [
    (b"{not json", "application/json"),
    (b"", "application/json"),
    (b"[]", "application/json"),
    (b'{"events": "x"}', "application/json"),
    (b'{"events": [{"type": "nonsense.happened", "data": {}}]}', "application/json"),
    (b'{"events": [{"type": "stance.declared"}]}', "application/json"),
    (b'{"events": [{"type": "stance.declared", "occurred": "2025-02-30", "data": '
     b'{"actor": "fra", "topic": "t", "stance": "supports"}, "source": {"document": "d", '
     b'"quote": "q"}}]}', "application/json"),
    (b'{"events": [{"type": "stance.declared", "occurred": "soon", "data": '
     b'{"actor": "fra", "topic": "t", "stance": "supports"}, "source": {"document": "d", '
     b'"quote": "q"}}]}', "application/json"),
    (b'{"events": []}', "application/json"),
    (b"\xff\xfe", "application/json"),
    (b"events=1", "application/x-www-form-urlencoded"),
])
def test_bad_bodies_get_4xx_never_500(client: TestClient, body: bytes, content_type: str) -> None:
    r = client.post("/api/events", content=body, headers={"content-type": content_type})
    assert 400 <= r.status_code < 500, r.text
    assert set(r.json()) >= {"error", "detail"} and r.json()["detail"]
    assert client.get("/api/events", params={"after": B}).json()["events"] == []


def test_unknown_event_type_names_the_problem(client: TestClient) -> None:
    r = client.post("/api/events", json={"events": [{"type": "nonsense", "data": {}}]})
    assert r.status_code == 422 and "nonsense" in r.json()["detail"]


def test_bad_date_names_the_date(client: TestClient) -> None:
    r = client.post("/api/events", json={"events": [stance_json(occurred="2025-13")]})
    assert r.status_code == 422 and "2025-13" in r.json()["detail"]


def test_body_over_the_limit_is_413(tmp_path: Path) -> None:
    for client in make_client(f"sqlite:///{tmp_path / 'l.db'}", max_body_bytes=2000):
        big = stance_json(note="x" * 3000)
        r = client.post("/api/events", json={"events": [big]})
        assert r.status_code == 413 and r.json()["error"] == "PayloadTooLarge"
        assert "2000" in r.json()["detail"]

        def chunks() -> Iterator[bytes]:
            yield b'{"events": [' + b" " * 1500
            yield b" " * 1500 + b"]}"

        streamed = client.post("/api/events", content=chunks(),
                               headers={"content-type": "application/json"})
        assert streamed.status_code == 413
        assert client.get("/api/events", params={"after": B}).json()["events"] == []


def test_list_filters_and_cursor(client: TestClient) -> None:
    client.post("/api/events", json={"events": [
        stance_json("fra", occurred="2024-02"), stance_json("deu", occurred="2025-01-20"),
        stance_json("pol", occurred="2025-01-21"),
        {"type": "meeting.scheduled", "occurred": "2025-02-03",
         "data": {"title": "Informal retreat", "participants": ["fra", "gbr"]},
         "source": {"document": "test", "quote": "q"}},
    ]})
    def positions(**params: object) -> list[int]:
        # The tests' own events, numbered from 1 after the directory's.
        page = client.get("/api/events", params={"after": B, **params}).json()  # type: ignore[arg-type]
        return [e["position"] - B for e in page["events"]]

    page = client.get("/api/events", params={"limit": 2, "after": B}).json()
    assert [e["position"] - B for e in page["events"]] == [1, 2]
    assert page["next_after"] == B + 2
    assert positions(limit=2, after=B + 2) == [3, 4]
    end = client.get("/api/events", params={"limit": 2, "after": B + 4}).json()
    assert end == {"events": [], "next_after": None}
    assert positions(actor="fra") == [1, 4]
    assert positions(type="meeting.scheduled") == [4]
    assert positions(topic="troops-in-ukraine") == [1, 2, 3]
    assert positions(**{"from": "2025-01", "to": "2025-01"}) == [2, 3]
    assert client.get("/api/events", params={"from": "gibberish"}).status_code == 422
    assert client.get("/api/events", params={"limit": 0}).status_code == 422
    assert client.get("/api/events", params={"limit": 100000}).status_code == 422
    assert client.get("/api/events", params={"after": -1}).status_code == 422


def test_unknown_event_is_404(client: TestClient) -> None:
    r = client.get(f"/api/events/{uuid.uuid4()}")
    assert r.status_code == 404 and r.json()["error"] == "NotFound"


def test_verify_health_and_docs(client: TestClient) -> None:
    client.post("/api/events", json={"events": [stance_json()]})
    v = client.get("/api/verify").json()
    assert v["ok"] is True and v["events"] == B + 1 and len(v["head"]) == 64
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/events" in spec["paths"]


def test_writes_need_a_token_when_configured(tmp_path: Path) -> None:
    for client in make_client(f"sqlite:///{tmp_path / 'a.db'}", api_tokens="s3cret,other"):
        body = {"events": [stance_json()]}
        denied = client.post("/api/events", json=body)
        assert denied.status_code == 401 and denied.json()["error"] == "Unauthorized"
        wrong = client.post("/api/events", json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = client.post("/api/events", json=body, headers={"Authorization": "Bearer other"})
        assert ok.status_code == 201
        assert client.get("/api/events").status_code == 200
