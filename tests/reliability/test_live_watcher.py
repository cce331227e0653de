"""Issue 14.7: live subscribers share one watcher per process. Idle subscribers cost next to
nothing (a real server's CPU time, from /proc), the store's reads do not grow with them, and
one append reaches every one of them."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.service import Service
from tests.reliability.big_log import cpu_seconds
from tests.reliability.conftest import Server, free_port

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def stance(n: int) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": "stance.declared", "occurred": "2025",
            "data": {"actor": "a0", "topic": "live", "stance": "supports"},
            "source": {"document": "live", "quote": f"event {n}"}}


async def subscribe(port: int, count: int) -> list[Connection]:
    """`count` raw SSE connections to /api/live, each past its `retry:` preamble."""
    connections = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /api/live HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n")
        await writer.drain()
        connections.append((reader, writer))
    for reader, _ in connections:
        await asyncio.wait_for(reader.readuntil(b"retry: "), 30)
    return connections


async def all_receive(connections: list[Connection], position: int, timeout: float) -> int:
    """How many of the connections got the message of `position` within `timeout` seconds."""
    wanted = f"id: {position}\n".encode()

    async def one(reader: asyncio.StreamReader) -> bool:
        try:
            await asyncio.wait_for(reader.readuntil(wanted), timeout)
        except (TimeoutError, asyncio.IncompleteReadError):
            return False
        return True

    return sum(await asyncio.gather(*(one(r) for r, _ in connections)))


async def close(connections: list[Connection]) -> None:
    for _, writer in connections:
        writer.close()


SUBSCRIBERS = 200
# Of one core, over the measurement: each subscriber used to poll the store on its own
# (200 of them on SQLite: about 80% of a core); one watcher polls about 4 times a second.
CPU_SHARE = 0.10


@pytest.mark.slow
def test_idle_subscribers_cost_little_and_an_append_reaches_them_all(
        database: str, tmp_path: Path, servers: list[Server]) -> None:
    server = Server(database, tmp_path)
    servers.append(server)
    server.start()
    assert server.process is not None
    server.register(["a0"], ["live"])

    async def scenario() -> tuple[float, int, int]:
        connections = await subscribe(server.port, SUBSCRIBERS)
        try:
            await asyncio.sleep(1.0)  # connecting is not idling
            start, began = cpu_seconds(server.process.pid), time.monotonic()  # type: ignore[union-attr]
            await asyncio.sleep(3.0)
            share = (cpu_seconds(server.process.pid) - start) / (  # type: ignore[union-attr]
                time.monotonic() - began)
            async with httpx.AsyncClient(base_url=server.base) as client:
                answer = await client.post("/api/events", json={"events": [stance(1)]})
            assert answer.status_code == 201, answer.text
            position = answer.json()["appended"][0]["position"]
            return share, position, await all_receive(connections, position, 15.0)
        finally:
            await close(connections)

    share, position, received = asyncio.run(scenario())
    print(f"{SUBSCRIBERS} idle subscribers: {share:.1%} of a core; {received} received "
          f"position {position}")
    assert share < CPU_SHARE
    assert received == SUBSCRIBERS


class Counted:
    """A service whose log reads (`events`, `head`) are counted, as the watcher and the
    subscribers make them."""

    def __init__(self, service: Service) -> None:
        self.calls = 0
        for name in ("events", "head"):
            method = getattr(service, name)
            setattr(service, name, self._counting(method))

    def _counting(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return method(*args, **kwargs)

        return counted


@pytest.fixture
def counted_server(database: str) -> Iterator[tuple[int, Counted, str]]:
    """The app in this process (so its reads can be counted) behind a real uvicorn."""
    service = Service.open(Settings(database_url=database, seed_events_dir=None))
    counted = Counted(service)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service.settings, service), port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield port, counted, base
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        service.close()


def test_the_store_reads_do_not_grow_with_the_subscribers(
        counted_server: tuple[int, Counted, str]) -> None:
    port, counted, base = counted_server
    events = [{"type": "actor.registered", "stream": "test-directory",
               "data": {"actor": "a0", "name": "Actor a0", "kind": "country"}},
              {"type": "topic.defined", "stream": "test-directory",
               "data": {"topic": "live", "title": "Topic live"}}]
    assert httpx.post(f"{base}/api/events", json={"events": events}).status_code == 201

    async def reads_with(count: int, n: int) -> tuple[int, int]:
        connections = await subscribe(port, count)
        try:
            await asyncio.sleep(0.5)
            before = counted.calls
            async with httpx.AsyncClient(base_url=base) as client:
                answer = await client.post("/api/events", json={"events": [stance(n)]})
            position = answer.json()["appended"][0]["position"]
            received = await all_receive(connections, position, 10.0)
            await asyncio.sleep(2.0)
            return counted.calls - before, received
        finally:
            await close(connections)

    one_reads, one_received = asyncio.run(reads_with(1, 1))
    many_reads, many_received = asyncio.run(reads_with(100, 2))
    print(f"store reads over an append and 2 s: {one_reads} with 1 subscriber, {many_reads} "
          "with 100")
    assert (one_received, many_received) == (1, 100)
    # The watcher's own polls and one read of the new event, whoever listens (a few polls of
    # slack: the two windows are timed by the clock, not by the watcher's turns).
    assert many_reads <= one_reads + 4
