"""Reads behind a real HTTP cache (issue 13.6): Debian's nginx, configured by the project's
deploy/nginx.conf, in front of a `stanceline serve` process.

The same file the compose `cache` service includes is used here, with only its upstream,
port and cache folder moved (tests/reliability/test_nginx.py renders it the same way).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stanceline.bench.http import LoadGenerator, free_port
from stanceline.bench.report import Measure, Report, Target
from stanceline.errors import StancelineError
from stanceline.synthetic import synthetic_events

HOST = "127.0.0.1"
SHIPPED = Path(__file__).resolve().parents[3] / "deploy" / "nginx.conf"


def nginx_binary() -> str | None:
    """Debian's nginx, if installed (`apt-get install nginx`)."""
    found = shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    return found


def nginx_config(folder: Path, app_port: int, port: int) -> Path:
    """deploy/nginx.conf as a whole nginx.conf under `folder`: its upstream, port and cache
    moved to these (everything else, the caching rules included, exactly as shipped)."""
    shipped = SHIPPED.read_text(encoding="utf-8")
    if "server app:8000;" not in shipped or "listen 8080;" not in shipped:
        raise StancelineError(f"{SHIPPED} no longer names `server app:8000;` and `listen 8080;`")
    site = (shipped.replace("server app:8000;", f"server {HOST}:{app_port};")
            .replace("listen 8080;", f"listen {HOST}:{port};")
            .replace("/var/cache/nginx/stanceline", str(folder / "cache")))
    (folder / "site.conf").write_text(site, encoding="utf-8")
    conf = folder / "nginx.conf"
    # Run as root (a container), nginx's workers drop to nobody, who may not enter a private
    # temporary directory: they keep root's user instead.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        "worker_processes 1;\nevents { worker_connections 512; }\n"
        # The load generator keeps its connections for the whole measure (nginx's default
        # closes one after 1,000 requests).
        f"http {{\n access_log off;\n keepalive_requests 1000000;\n"
        f" client_body_temp_path {folder / 'body'};\n"
        f" proxy_temp_path {folder / 'proxy'};\n fastcgi_temp_path {folder / 'fcgi'};\n"
        f" uwsgi_temp_path {folder / 'uwsgi'};\n scgi_temp_path {folder / 'scgi'};\n"
        f" include {folder / 'site.conf'};\n}}\n", encoding="utf-8")
    return conf


def _get(port: int, path: str, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@contextlib.contextmanager
def behind_nginx(app_port: int, folder: Path, port: int) -> Iterator[int]:
    """nginx on `port` in front of the service on `app_port`, answering /healthz; stopped
    on exit. StancelineError when nginx is not installed or does not start."""
    binary = nginx_binary()
    if binary is None:
        raise StancelineError("nginx is not installed (apt-get install nginx)")
    folder.mkdir(parents=True, exist_ok=True)
    conf = nginx_config(folder, app_port, port)
    log = folder / "nginx.out"
    with log.open("wb") as out:
        process = subprocess.Popen([binary, "-c", str(conf), "-p", str(folder)],  # noqa: S603
                                   stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise StancelineError(f"nginx did not start: {log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass(frozen=True)
class Freshness:
    """What a cached read answered before and after an append moved the head."""

    rounds: int
    stale: int
    seconds: list[float]


def fresh_after_appends(port: int, path: str, rounds: int) -> Freshness:
    """Read `path` through the cache, append one event through it, read again: count the
    answers after an append that still carry the ETag or head from before it (stale), and
    how long the first read after each append took."""
    stale = 0
    seconds: list[float] = []
    events = synthetic_events(rounds, seed=29, retract_every=0)
    for event in events:
        _, before, _ = _get(port, path)
        body = json.dumps({"events": [event]}, separators=(",", ":")).encode()
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            conn.request("POST", "/api/events", body=body,
                         headers={"Content-Type": "application/json"})
            answer = conn.getresponse()
            text = answer.read()
            if answer.status != 201:
                raise StancelineError(f"POST through nginx answered {answer.status}: "
                                      f"{text[:300]!r}")
        finally:
            conn.close()
        started = time.perf_counter()
        status, after, _ = _get(port, path)
        seconds.append(time.perf_counter() - started)
        moved = int(after.get("x-stanceline-head", "0")) > int(before.get("x-stanceline-head",
                                                                          "0"))
        if status != 200 or after.get("etag") == before.get("etag") or not moved:
            stale += 1
    return Freshness(rounds, stale, seconds)


def measure(report: Report, app_port: int, generator: LoadGenerator, paths: list[str],
            concurrency: int, warmup: float, seconds: float, workdir: Path,
            direct: dict[str, Any], rounds: int = 20) -> None:
    """The as-of rows through nginx beside the same reads straight to the service: every
    answer revalidated (a 304 upstream, from the head alone), a past `known_at` served from
    the cache, and appends that must change what the next read answers."""
    if nginx_binary() is None:
        report.notes.append("nginx is not installed (apt-get install nginx): the rows through "
                            "an HTTP cache are skipped")
        return
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    frozen = [f"{p}&known_at={stamp}" for p in paths[:200]]
    with behind_nginx(app_port, workdir / "nginx", free_port()) as port:
        revalidated = generator.run(port, paths, concurrency, warmup, seconds)
        hits = generator.run(port, frozen, concurrency, warmup, seconds)
        fresh = fresh_after_appends(port, paths[0], rounds)
    window = f"c={concurrency}, {seconds:g} s after {warmup:g} s warm-up"
    report.add(Measure(
        f"HTTP as-of through nginx (c={concurrency}, revalidated)", revalidated["rps"], "req/s",
        f"deploy/nginx.conf in front of the same server, {window}: each answer stored expired "
        f"and revalidated upstream (If-None-Match, a 304 from the head); p99 "
        f"{revalidated['p99_ms']:.1f} ms", ceiling=direct["rps"],
        ceiling_of="the same reads straight to the service"))
    report.add(Measure(
        f"HTTP as-of through nginx (c={concurrency}, past known_at)", hits["rps"], "req/s",
        f"200 questions with known_at={stamp} (immutable: cache hits after the first), "
        f"{window}; p99 {hits['p99_ms']:.1f} ms", ceiling=direct["rps"],
        ceiling_of="as-of straight to the service", style="x"))
    report.add(Measure(
        "nginx: fresh answers after an append", fresh.rounds - fresh.stale, "answers",
        f"{fresh.rounds} rounds of read, append through nginx, read: the read after each "
        f"append must carry a new ETag and head, never the cached answer ({fresh.stale} "
        f"stale; first read after an append p50 "
        f"{statistics.median(fresh.seconds) * 1e3:.1f} ms)",
        target=Target(">=", float(fresh.rounds), "value")))
    for name, phase in (("through nginx", revalidated), ("nginx hits", hits)):
        if phase["errors"]:
            report.notes.append(f"HTTP as-of {name}: {phase['errors']} non-200 answers "
                                f"({phase['statuses']})")
