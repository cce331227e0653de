"""`stanceline soak`: one real service under a bounded mixed load for minutes (issue 14.9).

On a synthetic log, one `stanceline serve` process takes, all at once: appends (small batches,
a few a second), as-of probes, a topic's matrix, the page (`GET /`) and live subscribers. The
soak then checks what must hold after any length of service:
- no answer was a 5xx (nor a refused connection or a timeout);
- the server's RSS stayed flat: after the warm-up, every sample within RSS_BAND of the first;
- every acknowledged event is readable afterwards (`GET /api/events`), and every live
  subscriber received every one of them, in order;
- the chain verifies (`GET /api/verify`).
The load is bounded (each client sleeps between requests), so the soak measures steadiness,
not throughput.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from stanceline.bench.http import HOST, Server, served
from stanceline.bench.scratch import engine_name, scratch_database
from stanceline.config import Settings
from stanceline.service import Service
from stanceline.synthetic import (
    ACTORS,
    STANCES,
    TOPICS,
    actor_name,
    query_space,
    quote,
    topic_name,
    write_jsonl,
)

DEFAULT_EVENTS = 20_000
SUBSCRIBERS = 20
RSS_BAND = 0.10
# The share of the run before RSS is expected to be flat (caches and pools fill).
WARMUP_SHARE = 1 / 3
BATCH = 5


@dataclass
class SoakResult:
    """What one soak saw."""

    engine: str
    seconds: float
    events_at_start: int
    subscribers: int
    appended: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    client_errors: list[str] = field(default_factory=list)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    rss: list[tuple[float, float]] = field(default_factory=list)
    missing: int = 0
    live_short: int = 0
    verified: bool = False

    @property
    def settled(self) -> list[float]:
        """The RSS samples after the warm-up, in MiB."""
        start = self.seconds * WARMUP_SHARE
        return [mib for at, mib in self.rss if at >= start]

    @property
    def rss_drift(self) -> float:
        """The largest distance of a settled sample from the first, as a share of it."""
        settled = self.settled
        if not settled:
            return float("inf")
        return max(abs(mib - settled[0]) for mib in settled) / settled[0]

    @property
    def ok(self) -> bool:
        """Whether every check held."""
        return (not self.server_errors and not self.client_errors and self.appended > 0
                and self.rss_drift <= RSS_BAND and self.missing == 0 and self.live_short == 0
                and self.verified)

    def report(self) -> str:
        """The figures, one line each."""
        settled = self.settled
        lines = [f"soak on {self.engine}: {self.seconds:.0f} s, {self.events_at_start:,} events "
                 f"at start, {self.subscribers} live subscribers",
                 f"  requests: {sum(self.requests.values()):,} ("
                 + ", ".join(f"{k} {v:,}" for k, v in sorted(self.requests.items())) + ")"]
        for kind, values in sorted(self.latencies_ms.items()):
            ordered = sorted(values)
            lines.append(f"  {kind}: p50 {statistics.median(ordered):.1f} ms, p99 "
                         f"{ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]:.1f} ms")
        lines += [f"  appended and acknowledged: {self.appended:,} events; unreadable after: "
                  f"{self.missing}; subscribers short of them: {self.live_short}",
                  f"  5xx: {len(self.server_errors)}; failed requests: {len(self.client_errors)}",
                  f"  RSS after warm-up: {settled[0] if settled else 0:.0f} MiB -> "
                  f"{settled[-1] if settled else 0:.0f} MiB (max "
                  f"{max(settled, default=0):.0f}), drift {self.rss_drift:.1%} "
                  f"(bound {RSS_BAND:.0%})",
                  f"  chain verifies: {'yes' if self.verified else 'NO'}",
                  f"  {'OK' if self.ok else 'FAILED'}"]
        lines += [f"  ! {e}" for e in (self.server_errors + self.client_errors)[:5]]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The figures as JSON."""
        settled = self.settled
        return {"engine": self.engine, "seconds": self.seconds,
                "events_at_start": self.events_at_start, "subscribers": self.subscribers,
                "appended": self.appended, "requests": dict(self.requests),
                "server_errors": self.server_errors, "client_errors": self.client_errors,
                "rss_settled_first_mib": settled[0] if settled else None,
                "rss_settled_last_mib": settled[-1] if settled else None,
                "rss_drift": self.rss_drift, "missing": self.missing,
                "live_short": self.live_short, "verified": self.verified, "ok": self.ok,
                "rss_mib": [[round(at, 1), round(mib, 1)] for at, mib in self.rss]}


def rss_mib(pid: int) -> float:
    """A process's resident memory now (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Load:
    """The clients of one soak, sharing its stop flag and its tallies."""

    def __init__(self, base: str, result: SoakResult, head: int) -> None:
        self.base = base
        self.result = result
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: list[tuple[int, str]] = []
        self.received: list[list[int]] = []
        self.start_head = head
        self.final_head: int | None = None

    def ask(self, client: httpx.Client, kind: str, method: str, url: str,
            **kwargs: Any) -> httpx.Response | None:
        """One request, tallied: a 5xx or a failure to answer is an error of the soak."""
        started = time.perf_counter()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            with self.lock:
                self.result.client_errors.append(f"{kind} {url}: {exc!r}")
            return None
        with self.lock:
            self.result.requests[kind] += 1
            self.result.latencies_ms.setdefault(kind, []).append(
                (time.perf_counter() - started) * 1000)
            if response.status_code >= 500:
                self.result.server_errors.append(f"{kind} {url}: {response.status_code}")
        return response

    def looping(self, kind: str, pause: float,
                step: Callable[[httpx.Client, random.Random], None]) -> threading.Thread:
        """A client thread doing `step` every `pause` seconds until the stop."""

        def run() -> None:
            rng = random.Random(kind)  # noqa: S311 - load, not secrets
            with httpx.Client(base_url=self.base, timeout=60) as client:
                while not self.stop.is_set():
                    step(client, rng)
                    self.stop.wait(pause)

        return threading.Thread(target=run, name=f"soak-{kind}", daemon=True)

    def append(self, client: httpx.Client, rng: random.Random) -> None:
        """A small batch of stances, each acknowledged id remembered with its position."""
        events = [{"id": str(uuid.uuid4()), "type": "stance.declared",
                   "occurred": f"{rng.randint(2014, 2026)}-{rng.randint(1, 12):02d}",
                   "data": {"actor": actor_name(rng.randrange(ACTORS)),
                            "topic": topic_name(rng.randrange(TOPICS)),
                            "stance": rng.choice(STANCES), "summary": "soak"},
                   "source": {"document": "synthetic", "quote": quote(rng.randrange(100))}}
                  for _ in range(BATCH)]
        response = self.ask(client, "append", "POST", "/api/events", json={"events": events})
        if response is not None and response.status_code == 201:
            done = [(a["position"], a["id"]) for a in response.json()["appended"]]
            with self.lock:
                self.acknowledged += done
                self.result.appended += len(done)
        elif response is not None and response.status_code < 500:
            with self.lock:
                self.result.client_errors.append(f"append: {response.status_code} "
                                                 f"{response.text[:200]}")

    def subscribe(self, index: int) -> threading.Thread:
        """A live subscriber from the head at start, until it has the final head."""
        seen: list[int] = []
        self.received.append(seen)

        def run() -> None:
            with httpx.Client(base_url=self.base, timeout=httpx.Timeout(60, read=30)) as client:
                try:
                    with client.stream("GET", "/api/live",
                                       params={"after": self.start_head}) as response:
                        for line in response.iter_lines():
                            if line.startswith("id: "):
                                seen.append(int(line[4:]))
                            if self.final_head is not None and seen and \
                                    seen[-1] >= self.final_head:
                                return
                except httpx.HTTPError as exc:
                    if self.final_head is None or not seen or seen[-1] < self.final_head:
                        with self.lock:
                            self.result.client_errors.append(f"live {index}: {exc!r}")

        return threading.Thread(target=run, name=f"soak-live-{index}", daemon=True)


def soak(database: str | None = None, *, seconds: float = 180.0,
         events: int = DEFAULT_EVENTS, subscribers: int = SUBSCRIBERS,
         progress: Callable[[str], None] | None = None) -> SoakResult:
    """Run the soak on a scratch database (a SQLite file, or a schema on the PostgreSQL
    server `database` names) and check it; see the module docstring."""
    say = progress or (lambda _text: None)
    with tempfile.TemporaryDirectory(prefix="stanceline-soak-") as tmp, \
            scratch_database(database, Path(tmp), prefix="soak") as scratch:
        workdir = Path(tmp)
        say(f"loading {events:,} synthetic events")
        service = Service.open(Settings(database_url=scratch.url, seed_events_dir=None))
        try:
            service.load([write_jsonl(workdir / "soak.jsonl", events)])
            head = service.head()
        finally:
            service.close()
        result = SoakResult(engine_name(database), seconds, head, subscribers)
        with served(scratch.url, workdir) as server:
            say(f"soaking for {seconds:.0f} s")
            _run(server, result, head, seconds)
    return result


def _run(server: Server, result: SoakResult, head: int, seconds: float) -> None:
    base = f"http://{HOST}:{server.port}"
    load = Load(base, result, head)
    questions = query_space(1_000)

    def as_of(client: httpx.Client, rng: random.Random) -> None:
        actor, topic, day = rng.choice(questions)
        load.ask(client, "as-of", "GET", "/api/stances",
                 params={"actor": actor, "topic": topic, "as_of": day.isoformat()})

    def matrix(client: httpx.Client, rng: random.Random) -> None:
        load.ask(client, "matrix", "GET", "/api/stances",
                 params={"topic": topic_name(rng.randrange(TOPICS))})

    def page(client: httpx.Client, rng: random.Random) -> None:
        load.ask(client, "page", "GET", "/",
                 params={"topic": topic_name(rng.randrange(TOPICS))})

    live = [load.subscribe(i) for i in range(result.subscribers)]
    clients = [load.looping("append", 0.2, load.append),
               load.looping("as-of", 0.01, as_of), load.looping("as-of-2", 0.01, as_of),
               load.looping("matrix", 0.5, matrix), load.looping("page", 1.0, page)]
    for thread in live + clients:
        thread.start()
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        result.rss.append((elapsed, rss_mib(server.process.pid)))
        time.sleep(1.0)
    load.stop.set()
    for thread in clients:
        thread.join(timeout=120)
    with load.lock:
        acknowledged = sorted(load.acknowledged)
    load.final_head = acknowledged[-1][0] if acknowledged else head
    for thread in live:
        thread.join(timeout=60)
    wanted = [p for p, _ in acknowledged]
    result.live_short = sum(1 for seen in load.received
                            if [p for p in seen if p > head] != wanted)
    with httpx.Client(base_url=base, timeout=300) as client:
        result.missing = _unreadable(client, acknowledged, head)
        answer = client.get("/api/verify")
        result.verified = answer.status_code == 200 and bool(answer.json().get("ok"))


def _unreadable(client: httpx.Client, acknowledged: list[tuple[int, str]], head: int) -> int:
    """How many acknowledged events the log's read does not return (at their positions)."""
    found: dict[int, str] = {}
    after = head
    while True:
        page = client.get("/api/events", params={"after": after, "limit": 1000,
                                                 "include_retracted": "true"}).json()
        found.update((e["position"], e["id"]) for e in page["events"])
        if page["next_after"] is None:
            break
        after = page["next_after"]
    return sum(1 for position, event_id in acknowledged if found.get(position) != event_id)


def main(database: str | None, minutes: float, events: int, subscribers: int,
         as_json: bool) -> tuple[str, bool]:
    """The soak as the CLI runs it: its report (text or JSON) and whether it held."""
    result = soak(database, seconds=minutes * 60, events=events, subscribers=subscribers)
    text = json.dumps(result.as_json(), indent=2) if as_json else result.report()
    return text, result.ok
