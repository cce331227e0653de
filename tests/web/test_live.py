"""`GET /api/live`: Server-Sent Events read from a real server by a streaming client.

Starlette's TestClient waits for a response to finish, and this one never does, so these tests
run uvicorn. Every read is bounded by a deadline: a broken stream fails, it never hangs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stanceline.api import live
from stanceline.config import Settings
from stanceline.service import Service
from tests.web.conftest import EVENTS, append, running, statement

DEADLINE = 10.0


def messages(response: httpx.Response, wanted: int, deadline: float = DEADLINE
             ) -> list[dict[str, Any]]:
    """The first `wanted` SSE messages (comments kept as {"comment": ...})."""
    found: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    stop = time.monotonic() + deadline
    for line in response.iter_lines():
        if time.monotonic() > stop:
            break
        if line.startswith(":"):
            found.append({"comment": line[1:].strip()})
        elif line == "":
            if current:
                found.append(current)
                current = {}
        else:
            field, _, value = line.partition(":")
            current[field] = value[1:] if value.startswith(" ") else value
        if len([m for m in found if "id" in m or "comment" in m]) >= wanted:
            break
    return found


def events_only(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in found if "id" in m]


@pytest.fixture
def stream_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(DEADLINE, read=DEADLINE)) as client:
        yield client


def test_live_sends_the_log_after_a_position_with_ids(server: str,
                                                      stream_client: httpx.Client) -> None:
    with stream_client.stream("GET", f"{server}/api/live", params={"after": 0}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        found = events_only(messages(response, 3))
    assert [m["id"] for m in found] == ["1", "2", "3"]
    assert {m["event"] for m in found} == {"appended"}
    envelope = json.loads(found[0]["data"])
    assert envelope["position"] == 1 and envelope["hash"] and envelope["type"]


def test_live_resumes_after_last_event_id(server: str, stream_client: httpx.Client) -> None:
    with stream_client.stream("GET", f"{server}/api/live", params={"after": 0},
                              headers={"Last-Event-ID": "10"}) as response:
        found = events_only(messages(response, 2))
    assert [m["id"] for m in found] == ["11", "12"]


def test_live_delivers_an_append_made_while_connected(server: str,
                                                      stream_client: httpx.Client) -> None:
    head = httpx.get(f"{server}/api/events", params={"after": 0, "limit": 1000}).json()
    last = head["events"][-1]["position"]
    with stream_client.stream("GET", f"{server}/api/live", params={"after": last}) as response:
        started = time.monotonic()
        appended = append(server, statement("said live"))
        found = events_only(messages(response, 1))
        waited = time.monotonic() - started
    assert [m["id"] for m in found] == [str(appended[0]["position"])]
    assert json.loads(found[0]["data"])["data"]["summary"] == "said live"
    assert waited < 3  # polled every ~0.5 s


def test_live_without_a_position_starts_at_the_head(server: str,
                                                    stream_client: httpx.Client) -> None:
    with stream_client.stream("GET", f"{server}/api/live") as response:
        appended = append(server, statement("only the new one"))
        found = events_only(messages(response, 1))
    assert [m["id"] for m in found] == [str(appended[0]["position"])]


def test_live_keeps_quiet_connections_alive(server: str, stream_client: httpx.Client,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "KEEP_ALIVE_SECONDS", 0.2)
    with stream_client.stream("GET", f"{server}/api/live") as response:
        found = messages(response, 1)
    assert {"comment": "keep-alive"} in found


def test_message_framing() -> None:
    class Event:
        position = 7

        def envelope(self) -> dict[str, Any]:
            return {"position": 7, "data": {"summary": "two\nlines </script>"}}

    text = live.message(Event())  # type: ignore[arg-type]
    lines = text.split("\n")
    assert lines[:2] == ["id: 7", "event: appended"]
    assert lines[2].startswith("data: ") and text.endswith("\n\n") and len(lines) == 5
    assert json.loads(lines[2][6:])["data"]["summary"] == "two\nlines </script>"


@pytest.mark.parametrize(("after", "last_id", "start"), [
    (None, None, None), (5, None, 5), (5, "9", 9), (None, "junk", None), (0, None, 0),
    (7, " 12 ", 12), (3, "²", 3), (3, "-4", 3), (3, "1.5", 3), (None, "1e3", None),
    (3, str(2**63 - 1), 2**63 - 1), (3, str(2**63), 3), (3, "9" * 40, 3), (3, "", 3),
    (3, "٣", 3),
])
def test_where_a_stream_starts(after: int | None, last_id: str | None,
                               start: int | None) -> None:
    assert live.start_position(after, last_id) == start


def test_a_bad_last_event_id_does_not_replay_the_log(server: str,
                                                     stream_client: httpx.Client) -> None:
    with stream_client.stream("GET", f"{server}/api/live",
                              headers={"Last-Event-ID": "junk"}) as response:
        appended = append(server, statement("after junk"))
        found = events_only(messages(response, 1))
    assert [m["id"] for m in found] == [str(appended[0]["position"])]


@pytest.mark.parametrize("last_id", ["²", str(2**63), "-1"])
def test_an_unusable_last_event_id_is_ignored_not_a_500(server: str,
                                                         stream_client: httpx.Client,
                                                         last_id: str) -> None:
    # Latin-1, as a server decodes header bytes: b"\xb2" arrives as "²".
    with stream_client.stream("GET", f"{server}/api/live", params={"after": 0},
                              headers={"Last-Event-ID": last_id.encode("latin-1")}
                              ) as response:
        assert response.status_code == 200
        first = events_only(messages(response, 1))
    # Ignored: the stream starts from `after`, the log's first event.
    assert [m["id"] for m in first] == ["1"]


def test_live_rejects_a_negative_position(server: str) -> None:
    assert httpx.get(f"{server}/api/live", params={"after": -1}).status_code == 422


@pytest.mark.postgres
def test_live_sees_appends_made_by_another_service_on_postgresql(pg_url: str) -> None:
    settings = Settings(database_url=pg_url, seed_events_dir=EVENTS)
    with running(settings) as base, httpx.Client(timeout=DEADLINE) as client:
        head = client.get(f"{base}/api/events", params={"limit": 1000}).json()["events"][-1]
        # Another writer with its own engine and connections, as another process would be.
        other = Service.open(settings)
        try:
            with client.stream("GET", f"{base}/api/live",
                               params={"after": head["position"]}) as response:
                appended = other.append_json(json.dumps(statement("from elsewhere")))
                found = events_only(messages(response, 1))
        finally:
            other.close()
        assert [m["id"] for m in found] == [str(appended[0].position)]
        page = client.get(f"{base}/", params={"as_of": "2025-02-15"})
        assert page.status_code == 200
        assert 'data-actor="fra" data-topic="troops-in-ukraine" data-stance="supports"' \
            in page.text
        assert "from elsewhere" in page.text
