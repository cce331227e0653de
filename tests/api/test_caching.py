"""Reads a cache can serve (issue 13.6): ETag and X-Stanceline-Head from the log's head, 304
on a matching If-None-Match without running the route, immutable answers for a past known_at."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from stanceline.api.caching import IMMUTABLE, REVALIDATE
from tests.api.conftest import B, stance_json

T = "troops-in-ukraine"
READS = ["/", "/api/events", "/api/actors", "/api/topics", f"/api/stances?topic={T}",
         f"/api/stances?actor=fra&topic={T}&as_of=2025-01-01", "/api/actors/fra",
         f"/api/history?actor=fra&topic={T}", "/api/claims",
         "/api/documents", f"/api/panel?topic={T}&from=2024-01"]


def append(client: TestClient, **extra: Any) -> None:
    answer = client.post("/api/events", json={"events": [stance_json(**extra)]})
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("path", READS)
def test_every_read_carries_a_validator_and_the_head(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-stanceline-head"] == str(B)
    assert answer.headers["etag"].startswith('W/"')
    assert answer.headers["cache-control"] == REVALIDATE
    again = client.get(path, headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == answer.headers["etag"]


def test_a_304_does_not_run_the_query(client: TestClient, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    path = f"/api/stances?topic={T}&as_of=2025-06-01"
    tag = client.get(path).headers["etag"]
    service = client.app.state.service  # type: ignore[attr-defined]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the route ran")

    monkeypatch.setattr(service, "stances", refuse)
    assert client.get(path, headers={"If-None-Match": f'"other", {tag}'}).status_code == 304


def test_an_append_changes_the_etag_and_no_stale_answer_is_served(client: TestClient) -> None:
    path = f"/api/stances?actor=fra&topic={T}&as_of=2025-06-01"
    first = client.get(path)
    assert first.json()["stances"][0]["stance"] == "unknown"
    append(client, value="opposes", occurred="2024-03")
    second = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.json()["stances"][0]["stance"] == "opposes"
    assert second.headers["etag"] != first.headers["etag"]
    assert second.headers["x-stanceline-head"] == str(B + 1)


def test_the_etag_depends_on_the_request(client: TestClient) -> None:
    one = client.get("/api/stances?topic=" + T + "&as_of=2025-01-01&evidence=full")
    same = client.get("/api/stances?evidence=full&as_of=2025-01-01&topic=" + T)
    other = client.get("/api/stances?topic=" + T + "&as_of=2025-01-02")
    csv = client.get("/api/stances?topic=" + T + "&as_of=2025-01-01&evidence=full",
                     headers={"Accept": "text/csv"})
    assert one.headers["etag"] == same.headers["etag"]
    assert len({one.headers["etag"], other.headers["etag"], csv.headers["etag"]}) == 3


def test_a_past_known_at_is_immutable(client: TestClient) -> None:
    append(client, value="opposes", occurred="2024-03")
    head = client.get("/api/events", params={"limit": 1000}).json()["events"][-1]["recorded_at"]
    past = "2020-01-01T00:00:00Z"
    immutable = [f"/api/stances?actor=fra&topic={T}&as_of=2025-01-01&known_at={past}",
                 f"/api/stances?topic={T}&as_of=2025-01-01&known_at=2020-01-01",
                 f"/api/history?actor=fra&topic={T}&known_at={past}",
                 f"/api/events?known_at={past}"]
    for path in immutable:
        assert client.get(path).headers["cache-control"] == IMMUTABLE, path
    revalidated = [
        # as of today (the default), with a relative date, bounded by reported_by, a future or
        # the current known_at, and no known_at at all
        f"/api/stances?topic={T}&known_at={past}",
        f"/api/stances?topic={T}&as_of=yesterday&known_at={past}",
        f"/api/stances?topic={T}&as_of=2025-01-01&known_at=a+year+ago",
        f"/api/stances?topic={T}&as_of=2025-01-01&known_at={past}&reported_by=2025-01-01",
        f"/api/stances?topic={T}&as_of=2025-01-01&known_at=2199-01-01",
        f"/api/stances?topic={T}&as_of=2025-01-01&known_at={head.replace('+', '%2B')}",
        f"/api/stances?topic={T}&as_of=2025-01-01",
        f"/?known_at={past}",
    ]
    for path in revalidated:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["cache-control"] == REVALIDATE, path


def test_verify_carries_the_head_but_is_never_validated(client: TestClient) -> None:
    # Its answer changes without the head moving (a row rewritten behind the service's
    # back): a 304 would vouch for an "ok" that no longer holds.
    for deep in ("false", "true"):
        answer = client.get("/api/verify", params={"deep": deep})
        assert answer.status_code == 200 and answer.headers["x-stanceline-head"] == str(B)
        assert "etag" not in answer.headers and answer.headers["cache-control"] == "no-store"
        again = client.get("/api/verify", params={"deep": deep},
                           headers={"If-None-Match": "*"})
        assert again.status_code == 200 and again.json()["ok"] is True


def test_errors_live_and_writes_are_not_validated(client: TestClient) -> None:
    missing = client.get("/api/actors/nobody-at-all")
    assert missing.status_code == 404 and "etag" not in missing.headers
    assert missing.headers["cache-control"] == "no-store"
    posted = client.post("/api/events", json={"events": [stance_json()]})
    assert posted.status_code == 201 and "etag" not in posted.headers
    assert "etag" not in client.get("/healthz").headers
