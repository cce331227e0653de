"""Concurrent single-event appends, which the group commit serves with one commit per batch of
waiting requests: over HTTP at concurrency 16 (against our sequential HTTP appends) and from
16 threads in-process (against the peer's one-event saves)."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stanceline.bench.http import HOST, HttpAppends
from stanceline.bench.inprocess import percentile
from stanceline.bench.report import Measure, Report, Target
from stanceline.bench.scratch import Scratch
from stanceline.config import Settings
from stanceline.domain.events import EVENT_IN
from stanceline.errors import StancelineError
from stanceline.service import Service
from stanceline.store.sql import SqlEventStore
from stanceline.synthetic import synthetic_events

CONCURRENCY = 16


@dataclass
class ThreadedAppends:
    """Single-event appends from `concurrency` threads, with the commits they took."""

    count: int
    seconds: float
    timings: list[float]
    commits: int

    @property
    def rate(self) -> float:
        """Appends/s."""
        return self.count / self.seconds


def _in_threads(count: int, concurrency: int, make: Callable[[], Callable[[int], None]]
                ) -> tuple[float, list[float]]:
    """Run `make()`'s call for the indices 0..count-1 spread over `concurrency` threads (one
    `make()` each: its own connection); the wall time and each call's latency."""
    turns: Iterator[int] = iter(range(count))
    lock = threading.Lock()
    timings: list[float] = []
    failures: list[BaseException] = []
    start = threading.Barrier(concurrency + 1)

    def worker() -> None:
        call = make()
        start.wait()
        while True:
            with lock:
                index = next(turns, None)
            if index is None:
                return
            t0 = time.perf_counter()
            try:
                call(index)
            except BaseException as exc:  # reported below, with the first of them
                failures.append(exc)
                return
            timings.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise StancelineError(f"{len(failures)} concurrent appends failed: {failures[0]}")
    return seconds, timings


def http_concurrent_appends(port: int, count: int, concurrency: int = CONCURRENCY
                            ) -> HttpAppends:
    """One event per `POST /api/events` from `concurrency` keep-alive clients at once."""
    bodies = [json.dumps({"events": [e]}, separators=(",", ":")).encode()
              for e in synthetic_events(count, seed=17, retract_every=0)]
    headers = {"Content-Type": "application/json"}
    opened: list[http.client.HTTPConnection] = []

    def client() -> Callable[[int], None]:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        opened.append(conn)

        def post(index: int) -> None:
            conn.request("POST", "/api/events", body=bodies[index], headers=headers)
            response = conn.getresponse()
            answer = response.read()
            if response.status != 201:
                raise StancelineError(f"POST /api/events answered {response.status}: "
                                      f"{answer[:300]!r}")
        return post

    try:
        seconds, timings = _in_threads(count, concurrency, client)
    finally:
        for conn in opened:
            conn.close()
    return HttpAppends(count, seconds, timings)


def threaded_appends(scratch: Scratch, count: int, concurrency: int = CONCURRENCY
                     ) -> ThreadedAppends:
    """Durable single-event appends from `concurrency` threads of one in-process service."""
    service = Service.open(Settings(database_url=scratch.url, load_seed=False))
    try:
        events = [EVENT_IN.validate_python(e)
                  for e in synthetic_events(count, seed=19, retract_every=0)]
        store = service.store
        before = store.group.commits if isinstance(store, SqlEventStore) else 0

        def append(index: int) -> None:
            service.append([events[index]])

        def appender() -> Callable[[int], None]:
            return append

        seconds, timings = _in_threads(count, concurrency, appender)
        commits = (store.group.commits - before) if isinstance(store, SqlEventStore) else 0
    finally:
        service.close()
    return ThreadedAppends(count, seconds, timings, commits)


def _latencies(timings: list[float]) -> str:
    return (f"p50 {statistics.median(timings) * 1e3:.2f} ms, "
            f"p99 {percentile(timings, 0.99) * 1e3:.2f} ms")


def http_row(report: Report, concurrent: HttpAppends, sequential: HttpAppends) -> None:
    """The HTTP c=16 row, against the sequential HTTP appends of the same server."""
    report.add(Measure(
        f"append (1 event, HTTP, c={CONCURRENCY})", concurrent.rate, "appends/s",
        f"POST /api/events from {CONCURRENCY} keep-alive clients at once; "
        f"{_latencies(concurrent.timings)} over {concurrent.count:,}",
        ceiling=sequential.rate, ceiling_of="the sequential HTTP appends, same server",
        target=Target(">=", 3.0), style="x"))


def threads_row(report: Report, threaded: ThreadedAppends, sequential_rate: float) -> None:
    """The in-process c=16 row, against the sequential in-process appends."""
    report.add(Measure(
        f"append (1 event, in-process, c={CONCURRENCY})", threaded.rate, "appends/s",
        f"Service.append from {CONCURRENCY} threads, {threaded.count:,} appends in "
        f"{threaded.commits:,} commits; {_latencies(threaded.timings)}",
        ceiling=sequential_rate, ceiling_of="the sequential in-process appends", style="x"))


def peer_row(report: Report, peer_single_rate: float) -> None:
    """The in-process c=16 appends against the peer's one-event saves on the same engine."""
    ours = next((m for m in report.measures
                 if m.name == f"append (1 event, in-process, c={CONCURRENCY})"), None)
    if ours is not None:
        report.add(Measure(
            f"ours vs peer: append (1 event, c={CONCURRENCY})", ours.value, "appends/s",
            ceiling=peer_single_rate, ceiling_of="peer, 1 event/save",
            target=Target(">=", 1.0), style="x"))
