"""Writers racing on one stream with `expect`: exactly one wins each round, nothing doubled."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.conftest import Server

ROUNDS, RACERS = 15, 6


def claim(n: int, racer: int) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": "stance.declared", "occurred": "2025",
            "data": {"actor": "pol", "topic": "race", "stance": "opposes",
                     "summary": f"round {n} racer {racer}"},
            "source": {"document": "race", "quote": "q"}}


def test_exactly_one_writer_wins_each_round(database: str, tmp_path: Path,
                                            servers: list[Server]) -> None:
    server = Server(database, tmp_path)
    servers.append(server)
    server.start()
    registered = server.register(["pol"], ["race"])
    winners: list[str] = []
    for n in range(ROUNDS):
        statuses: list[int] = []
        barrier = threading.Barrier(RACERS)

        def race(racer: int, round_: int = n, results: list[int] = statuses,
                 start: threading.Barrier = barrier) -> None:
            body = {"events": [claim(round_, racer)], "expect": {"actor:pol": round_}}
            with httpx.Client(base_url=server.base, timeout=10) as client:
                start.wait()
                r = client.post("/api/events", json=body)
            results.append(r.status_code)
            if r.status_code == 201:
                winners.append(r.json()["appended"][0]["id"])
            else:
                assert r.json()["error"] == "VersionConflict"

        threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [201] + [409] * (RACERS - 1), statuses
    events = httpx.get(f"{server.base}/api/events",
                       params={"limit": 1000, "after": registered}).json()["events"]
    assert [e["id"] for e in events] == winners
    assert [e["version"] for e in events] == list(range(1, ROUNDS + 1))
    assert httpx.get(f"{server.base}/api/verify").json()["ok"]
