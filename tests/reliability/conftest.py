"""Real service processes for the reliability tests: started, killed and restarted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`stanceline serve` in its own process group, on a free loopback port."""

    def __init__(self, url: str, tmp: Path, **env: str) -> None:
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"server-{self.port}.log"
        self.env = {**os.environ, "STANCELINE_LOAD_SEED": "false", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "stanceline", "serve", "--port", str(self.port),
                 "--database", self.url], env=self.env, stdout=log, stderr=log,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not start: {self.log.read_text()[-2000:]}")

    def register(self, actors: list[str], topics: list[str]) -> int:
        """Register what a test's events name (every reference must be), on a stream of
        their own so the actors' streams start at 0; how many events that took."""
        events = [{"type": "actor.registered", "stream": "test-directory",
                   "data": {"actor": a, "name": f"Actor {a}", "kind": "country"}}
                  for a in actors]
        events += [{"type": "topic.defined", "stream": "test-directory",
                    "data": {"topic": t, "title": f"Topic {t}"}} for t in topics]
        response = httpx.post(f"{self.base}/api/events", json={"events": events}, timeout=30)
        assert response.status_code == 201, response.text
        return len(events)

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no flush, like a crash."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Servers a test starts; all stopped afterwards."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()
