"""The HTTP measures: a real `stanceline serve` process, a sequential keep-alive client for
appends, and the load generator (in a process of its own) for reads."""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stanceline.bench import loadgen
from stanceline.errors import StancelineError
from stanceline.synthetic import synthetic_events

HOST = "127.0.0.1"
START_TIMEOUT = 60.0


@dataclass
class Server:
    """A running service process."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path
    peak_rss_mib: float = 0.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _peak_rss_mib(pid: int) -> float:
    """The peak RSS (VmHWM) of a live process, from /proc (0 where there is no /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace")
                         .splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def served(url: str, workdir: Path) -> Iterator[Server]:
    """`python -m stanceline serve --port <free> --database <url>` with seeding off, up and
    answering /healthz; stopped (SIGTERM, then SIGKILL) on exit."""
    port = free_port()
    env = {**os.environ, "STANCELINE_LOAD_SEED": "false", "STANCELINE_API_TOKENS": ""}
    log = workdir / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "stanceline", "serve", "--host", HOST, "--port", str(port),
             "--database", url], env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise StancelineError(f"the service did not start (exit {process.poll()}):\n"
                                      f"{_log_tail(log)}")
            time.sleep(0.1)
        yield server
        server.peak_rss_mib = _peak_rss_mib(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class HttpAppends:
    """Sequential single-event POSTs: how many, how long, each one's latency (seconds)."""

    count: int
    seconds: float
    timings: list[float]

    @property
    def rate(self) -> float:
        """Appends/s."""
        return self.count / self.seconds


def http_appends(port: int, count: int) -> HttpAppends:
    """One event per `POST /api/events`, one after the other on one keep-alive connection."""
    bodies = [json.dumps({"events": [e]}, separators=(",", ":")).encode()
              for e in synthetic_events(count, seed=13, retract_every=0)]
    headers = {"Content-Type": "application/json"}
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    timings: list[float] = []
    try:
        started = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            conn.request("POST", "/api/events", body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            if response.status != 201:
                raise StancelineError(f"POST /api/events answered {response.status}: "
                                      f"{answer[:300]!r}")
            timings.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    return HttpAppends(count, seconds, timings)


class LoadGenerator:
    """The load generator's process (spawned: a clean interpreter, its own GIL)."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=1,
                                         mp_context=multiprocessing.get_context("spawn"))

    def run(self, port: int, paths: Sequence[str], concurrency: int, warmup: float,
            duration: float) -> dict[str, Any]:
        """One measured phase; see `loadgen.load`."""
        future = self._pool.submit(loadgen.load, port, list(paths), concurrency, warmup,
                                   duration)
        result: dict[str, Any] = future.result(timeout=warmup + duration + 120)
        return result

    def close(self) -> None:
        """Stop the process."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> LoadGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
