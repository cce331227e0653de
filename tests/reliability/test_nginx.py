"""The reads behind a real HTTP cache: Debian's nginx with the project's deploy/nginx.conf in
front of `stanceline serve` (issue 13.6). An immutable answer is served from the cache; every
other one is revalidated (304 upstream) and, once an append moves the head, answered anew:
the ETag changes and no stale answer is served.

Skipped without nginx (`apt-get install nginx`); required when STANCELINE_REQUIRE_NGINX=1.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stanceline.bench.cached import nginx_binary, nginx_config
from tests.reliability.conftest import Server, free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX = nginx_binary()
T = "troops"

pytestmark = pytest.mark.nginx


def nginx_binary() -> str:
    if NGINX is None:
        if os.environ.get("STANCELINE_REQUIRE_NGINX") == "1":
            pytest.fail("STANCELINE_REQUIRE_NGINX=1 but nginx is not installed")
        pytest.skip("needs nginx (Debian's package: apt-get install nginx)")
    return NGINX


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[tuple[str, Server]]:
    binary = nginx_binary()
    server = Server(f"sqlite:///{tmp_path / 'service.db'}", tmp_path,
                    STANCELINE_API_TOKENS="").start()
    port = free_port()
    conf = nginx_config(tmp_path, server.port, port)
    errors = tmp_path / "nginx.out"
    with errors.open("wb") as out:
        process = subprocess.Popen([binary, "-c", str(conf), "-p", str(tmp_path)],
                                   stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {errors.read_text()}") from None
                time.sleep(0.05)
        yield base, server
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.stop()


def post(base: str, *events: dict[str, object]) -> None:
    answer = httpx.post(f"{base}/api/events", json={"events": list(events)}, timeout=30)
    assert answer.status_code == 201, answer.text


def stance(value: str, occurred: str) -> dict[str, object]:
    return {"type": "stance.declared", "occurred": occurred,
            "data": {"actor": "fra", "topic": T, "stance": value},
            "source": {"document": "test", "quote": "a quote"}}


def test_nginx_serves_cached_reads_and_never_a_stale_one(cache: tuple[str, Server]) -> None:
    base, server = cache
    server.register(["fra"], [T])
    post(base, stance("supports", "2024-02"))
    path = f"{base}/api/stances?actor=fra&topic={T}&as_of=2025-01-01"
    with httpx.Client(timeout=10) as client:
        first = client.get(path)
        assert first.status_code == 200 and first.headers["x-cache-status"] == "MISS"
        assert first.json()["stances"][0]["stance"] == "supports"
        again = client.get(path)
        # Stored, and revalidated upstream (a 304 there): the same answer, the same ETag.
        assert again.headers["x-cache-status"] == "REVALIDATED"
        assert again.json() == first.json() and again.headers["etag"] == first.headers["etag"]
        # A client's own validator is answered by nginx itself.
        assert client.get(path, headers={"If-None-Match": first.headers["etag"]}
                          ).status_code == 304
        # After an append the head moves: a new ETag, the new answer, at once.
        time.sleep(0.01)
        post(base, stance("opposes", "2024-06"))
        after = client.get(path)
        assert after.headers["x-cache-status"] == "EXPIRED"
        assert after.json()["stances"][0]["stance"] == "opposes"
        assert after.headers["etag"] != first.headers["etag"]
        moved = int(after.headers["x-stanceline-head"]) - int(first.headers["x-stanceline-head"])
        assert moved == 1
        stale = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert stale.status_code == 200 and stale.json() == after.json()
        # What was known before the append can never change: served from the cache.
        recorded = client.get(f"{base}/api/events", params={"limit": 100}).json()["events"]
        frozen = f"{path}&known_at={recorded[-2]['recorded_at'].replace('+', '%2B')}"
        assert client.get(frozen).headers["x-cache-status"] == "MISS"
        served = client.get(frozen)
        assert served.headers["x-cache-status"] == "HIT"
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert served.json()["stances"][0]["stance"] == "supports"
