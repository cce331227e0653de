"""Live across processes: two services on one PostgreSQL; a subscriber on one receives every
event appended through the other exactly once, in order, also across a reconnect."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import Server

pytestmark = pytest.mark.postgres


def stance(n: int) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": "stance.declared", "occurred": "2025",
            "data": {"actor": f"a{n % 5}", "topic": "live", "stance": "supports"},
            "source": {"document": "live", "quote": f"event {n}"}}


def read_ids(base: str, wanted: int, deadline: float, last_event_id: str | None = None,
             after: int | None = 0) -> list[tuple[int, str]]:
    """(position, id) of SSE messages until `wanted` arrive or the deadline passes."""
    headers = {} if last_event_id is None else {"Last-Event-ID": last_event_id}
    params = {} if after is None else {"after": after}
    got: list[tuple[int, str]] = []
    stop = time.monotonic() + deadline
    current: dict[str, str] = {}
    with httpx.Client(timeout=httpx.Timeout(deadline, read=deadline)) as client, \
            client.stream("GET", f"{base}/api/live", params=params, headers=headers) as r:
        for line in r.iter_lines():
            if line == "" and "id" in current:
                got.append((int(current["id"]), json.loads(current["data"])["id"]))
                current = {}
            elif ":" in line and not line.startswith(":"):
                key, _, value = line.partition(":")
                current[key] = value.strip()
            if len(got) >= wanted or time.monotonic() > stop:
                break
    return got


def test_a_subscriber_on_one_process_sees_appends_through_another(
        pg_url: str, tmp_path: Path, servers: list[Server]) -> None:
    reader, writer = Server(pg_url, tmp_path), Server(pg_url, tmp_path)
    servers += [reader, writer]
    reader.start()
    writer.start()
    base = writer.register([f"a{i}" for i in range(5)], ["live"])
    total = 30
    sent: list[str] = []

    def append_all() -> None:
        time.sleep(0.5)
        with httpx.Client(base_url=writer.base) as client:
            for batch in range(6):
                events = [stance(batch * 5 + i) for i in range(5)]
                r = client.post("/api/events", json={"events": events})
                assert r.status_code == 201
                sent.extend(e["id"] for e in events)
                time.sleep(0.2)

    thread = threading.Thread(target=append_all)
    thread.start()
    started = time.monotonic()
    first = read_ids(reader.base, 12, deadline=8.0, after=base)
    thread.join()
    # Pushed by NOTIFY: without it this process would only look again after 15 s.
    assert time.monotonic() - started < 8.0
    assert [p - base for p, _ in first] == list(range(1, 13))
    # Reconnect as a browser does, after the last id it saw.
    rest = read_ids(reader.base, total - 12, deadline=8.0, last_event_id=str(first[-1][0]),
                    after=None)
    received = first + rest
    assert [p - base for p, _ in received] == list(range(1, total + 1)), "missing or doubled"
    assert [i for _, i in received] == sent
