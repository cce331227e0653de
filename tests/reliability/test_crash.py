"""Nothing acknowledged is lost: writers append over HTTP while the service is SIGKILLed."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.conftest import Server

WRITERS = 4


def stance_event(event_id: str, n: int) -> dict[str, Any]:
    return {"id": event_id, "type": "stance.declared", "occurred": f"{2000 + n % 26}",
            "data": {"actor": f"w{n % 7}", "topic": "crash", "stance": "supports"},
            "source": {"document": "crash-test", "quote": f"event {n}"}}


def writer(base: str, number: int, acknowledged: Path, sent: Path) -> None:
    """Append one event per request until the service goes away; log what was acknowledged."""
    with httpx.Client(base_url=base, timeout=5) as client, \
            acknowledged.open("a") as acks, sent.open("a") as tried:
        for n in range(100_000):
            event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"crash/{number}/{n}"))
            tried.write(f"{event_id} {n}\n")
            tried.flush()
            try:
                r = client.post("/api/events", json={"events": [stance_event(event_id, n)]})
            except httpx.HTTPError:
                return
            if r.status_code == 201:
                acks.write(event_id + "\n")
                acks.flush()


def all_events(base: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        page = httpx.get(f"{base}/api/events", params={"after": after, "limit": 1000}).json()
        found += page["events"]
        after = page["next_after"]
    return found


def test_sigkill_under_load_loses_nothing_acknowledged(database: str, tmp_path: Path,
                                                       servers: list[Server]) -> None:
    server = Server(database, tmp_path)
    servers.append(server)
    server.start()
    server.register([f"w{i}" for i in range(7)], ["crash"])
    context = multiprocessing.get_context("spawn")
    acks = [tmp_path / f"acks-{i}.txt" for i in range(WRITERS)]
    sent = [tmp_path / f"sent-{i}.txt" for i in range(WRITERS)]
    procs = [context.Process(target=writer, args=(server.base, i, acks[i], sent[i]))
             for i in range(WRITERS)]
    for p in procs:
        p.start()
    # Kill once the writers are under way (a fixed pause starves them on a loaded machine:
    # spawned processes can take seconds to import), and at most after 60 s.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = sum(len(path.read_text().split()) for path in acks if path.exists())
        if done > 40:
            break
        time.sleep(0.2)
    time.sleep(0.5)
    server.kill()
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    acknowledged = {line for path in acks for line in path.read_text().split()}
    assert len(acknowledged) > 20, "the writers did not get going before the crash"

    server.start()
    events = all_events(server.base)
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)), "an event was stored twice"
    assert acknowledged <= set(ids), "an acknowledged event was lost"
    assert [e["position"] for e in events] == list(range(1, len(events) + 1))
    assert httpx.get(f"{server.base}/api/verify").json()["ok"] is True

    # A writer that never heard back retries with the same id: stored once, whatever happened.
    last_sent = [path.read_text().splitlines()[-1].split() for path in sent]
    unanswered = [event_id for event_id, _ in last_sent]
    for event_id, n in last_sent:
        r = httpx.post(f"{server.base}/api/events",
                       json={"events": [stance_event(event_id, int(n))]})
        assert r.status_code == 201, r.text
    after = all_events(server.base)
    assert len({e["id"] for e in after}) == len(after)
    assert set(unanswered) <= {e["id"] for e in after}
    assert len(after) <= len(events) + len(unanswered)
    fresh = httpx.post(f"{server.base}/api/events",
                       json={"events": [stance_event(str(uuid.uuid4()), 1)]})
    assert fresh.status_code == 201 and fresh.json()["appended"][0]["position"] == len(after) + 1
    report = httpx.get(f"{server.base}/api/verify").json()
    assert report == {"ok": True, "events": len(after) + 1,
                      "head": fresh.json()["appended"][0]["hash"]}


def test_a_broken_chain_does_not_stop_the_service(database: str, tmp_path: Path,
                                                  servers: list[Server]) -> None:
    import sqlalchemy as sa

    from stanceline.store.sql import SqlEventStore

    server = Server(database, tmp_path)
    servers.append(server)
    server.start()
    server.register([f"w{i}" for i in range(7)], ["crash"])
    for n in range(5):
        httpx.post(f"{server.base}/api/events",
                   json={"events": [stance_event(str(uuid.uuid4()), n)]})
    server.kill()
    store = SqlEventStore(database, migrate=False)
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER events_no_update_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
        conn.execute(sa.text("UPDATE events SET note = 'forged' WHERE position = 3"))
    store.close()
    server.start()
    report = httpx.get(f"{server.base}/api/verify").json()
    assert report["ok"] is False and report["broken_at"] == 3
    assert httpx.get(f"{server.base}/api/events").status_code == 200
