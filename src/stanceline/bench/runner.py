"""`stanceline bench`: build a synthetic log, measure each path against a ceiling measured in the
same run, and say which targets are met."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stanceline.bench import cached, concurrent_appends, peer
from stanceline.bench.http import LoadGenerator, http_appends, served
from stanceline.bench.inprocess import (
    AppendResult,
    AsOfResult,
    LoadResult,
    MatrixResult,
    ReplayResult,
    max_rss_mib,
    measure_appends,
    measure_as_of,
    measure_bare_appends,
    measure_bare_load,
    measure_load,
    measure_matrix,
    measure_replay,
    percentile,
)
from stanceline.bench.page import PAGE_TARGET_EVENTS, PageResult, measure_page
from stanceline.bench.report import Measure, Report, Target
from stanceline.bench.scratch import Scratch, engine_name, scratch_database, server_version
from stanceline.ingest import PARALLEL_LOAD_BYTES
from stanceline.store.sql import SqlEventStore
from stanceline.synthetic import query_space, write_jsonl

DEFAULT_EVENTS = 100_000
QUICK_EVENTS = 2_000
RSS_LIMIT_MIB = 500.0
PAGE_IN_PROCESS_LIMIT = 100_000


@dataclass(frozen=True)
class Plan:
    """How much of each measure a run does."""

    events: int
    appends: int
    queries: int
    warmup_queries: int
    matrices: int
    http_warmup: float
    http_seconds: float
    # The matrix answers a few requests a second: it gets longer to collect enough of them.
    matrix_seconds: float
    paths: int
    peer_singles: int
    peer_batches: int
    peer_rebuilds: int
    concurrency: int = 32
    matrix_concurrency: int = 4

    @classmethod
    def make(cls, events: int | None, appends: int | None, quick: bool) -> Plan:
        """The full plan, or the short one for CI (`--quick`)."""
        if quick:
            return cls(events or QUICK_EVENTS, appends or 100, queries=500, warmup_queries=250,
                       matrices=3, http_warmup=0.25, http_seconds=1.0, matrix_seconds=2.0,
                       paths=1_000, peer_singles=100, peer_batches=2, peer_rebuilds=3)
        return cls(events or DEFAULT_EVENTS, appends or 1_000, queries=4_000,
                   warmup_queries=1_000, matrices=5, http_warmup=1.0, http_seconds=5.0,
                   matrix_seconds=10.0, paths=5_000, peer_singles=appends or 1_000,
                   peer_batches=20, peer_rebuilds=10)


def run(events: int | None = None, database: str | None = None, appends: int | None = None,
        quick: bool = False) -> Report:
    """Build the synthetic log and measure; SQLite unless `database` names a server.

    The load generator runs in a spawned process: a script that calls this needs the usual
    `if __name__ == "__main__":` guard (the `stanceline` command has it).
    """
    plan = Plan.make(events, appends, quick)
    report = Report(engine_name(database), plan.events, os.cpu_count() or 0,
                    platform.python_version(), quick)
    with tempfile.TemporaryDirectory(prefix="stanceline-bench-") as tmp:
        workdir = Path(tmp)
        source = write_jsonl(workdir / "events.jsonl", plan.events)
        with scratch_database(database, workdir) as scratch:
            _measure_store(report, plan, scratch, source, workdir)
            if plan.events <= PAGE_IN_PROCESS_LIMIT:
                _page_row(report, measure_page(scratch.url, repeats=3), None)
            else:
                # Rendering a page of a huge log in this process would inflate its peak RSS,
                # which the benchmark reports against its own limit.
                report.notes.append(f"the page of the full {plan.events:,}-event log is not "
                                    f"timed above {PAGE_IN_PROCESS_LIMIT:,} events")
            if report.engine == "postgresql":
                _measure_two_processes(report, plan, scratch, workdir)
        small = write_jsonl(workdir / "page.jsonl", min(plan.events, PAGE_TARGET_EVENTS))
        with scratch_database(database, workdir, prefix="page") as scratch:
            _page_row(report, measure_page(scratch.url, small), 300.0)
        _measure_peer(report, plan, database, workdir)
    report.add(Measure("peak RSS (bench process)", max_rss_mib(resource.RUSAGE_SELF), "MiB",
                       "resource.getrusage(RUSAGE_SELF).ru_maxrss, whole run",
                       target=Target("<=", RSS_LIMIT_MIB, "value")))
    return report


def _measure_store(report: Report, plan: Plan, scratch: Scratch, source: Path,
                   workdir: Path) -> None:
    load = measure_load(scratch, source)
    store = SqlEventStore(scratch.url, migrate=False)
    try:
        report.versions[report.engine] = server_version(store.engine)
        measure_bare_load(store, scratch, load)
        _load_rows(report, load, source)
        head = store.head()
        appended = measure_appends(scratch, plan.appends)
        measure_bare_appends(store, scratch, head, appended)
        _append_rows(report, appended)
        questions = query_space(plan.warmup_queries + plan.queries)
        as_of = measure_as_of(store, scratch, questions, plan.warmup_queries)
        _as_of_rows(report, as_of, plan)
        matrix_in = measure_matrix(store, scratch, query_space(plan.matrices, seed=41))
        matrix_ceiling, matrix_actors = matrix_in.bare, matrix_in.actors
        _matrix_rows(report, matrix_in)
        replayed = measure_replay(store)
        _replay_rows(report, replayed)
    finally:
        store.close()
    _measure_http(report, plan, scratch, workdir, appended, matrix_ceiling, matrix_actors)


def _matrix_rows(report: Report, matrix: MatrixResult) -> None:
    if not matrix.ours:
        return
    report.add(Measure(
        f"matrix in-process p50 (~{matrix.actors:,} actors)", statistics.median(matrix.ours) * 1e3,
        "ms", f"SqlEventStore.matrix: one statement for every pair's latest streak, decided by "
        f"the pure fold; {len(matrix.ours)} (topic, as_of) matrices",
        ceiling=statistics.median(matrix.bare) * 1e3,
        ceiling_of=f"{matrix.actors:,} bare as-of probes, one after the other, same run",
        style="x", target=Target("<=", 1.0)))


def _load_rows(report: Report, load: LoadResult, source: Path) -> None:
    summary = load.summary
    worker = source.stat().st_size >= PARALLEL_LOAD_BYTES
    report.add(Measure(
        "load (batch append)", load.rate, "events/s",
        f"{summary.read:,} events in {summary.seconds:.2f} s through Service.load "
        f"(validation{' in a worker process' if worker else ''}, hashing, projections); "
        f"bare: {load.bare_rows:,} rows in {load.bare_seconds:.2f} s",
        ceiling=load.bare_rate,
        ceiling_of=f"driver {'COPY' if report.engine == 'postgresql' else 'executemany'} "
                   "of the same rows, same indexes, 10k rows/txn"))
    if worker:
        grew = load.children_rss_after > load.children_rss_before
        report.add(Measure(
            "peak RSS (validation worker)", load.children_rss_after, "MiB",
            "RUSAGE_CHILDREN ru_maxrss after the load" + (
                "" if grew else " (not above an earlier child: the worker peaked lower)")))
    else:
        report.notes.append(f"the load ran without a validation worker (input under "
                            f"{PARALLEL_LOAD_BYTES // 2**20} MiB): no worker RSS to report")


def _append_rows(report: Report, appended: AppendResult) -> None:
    report.add(Measure(
        "append (1 event, in-process)", appended.rate, "appends/s",
        f"p50 {statistics.median(appended.timings) * 1e6:,.0f} us, p99 "
        f"{percentile(appended.timings, 0.99) * 1e6:,.0f} us over {appended.count:,}, "
        "into the loaded store",
        ceiling=appended.bare_rate or None,
        ceiling_of="the same rows, one driver INSERT + COMMIT each"))


def _as_of_rows(report: Report, result: AsOfResult, plan: Plan) -> None:
    for label, q in (("p50", 0.50), ("p99", 0.99)):
        report.add(Measure(
            f"as-of in-process {label}", percentile(result.ours, q) * 1e6, "us",
            f"SqlEventStore.stance over {len(result.ours):,} random questions "
            f"after {plan.warmup_queries:,} warm-up",
            ceiling=percentile(result.bare, q) * 1e6,
            ceiling_of="the bare SQL probe on the raw DBAPI connection",
            target=Target("<=", 5.0), style="x"))


def _replay_rows(report: Report, result: ReplayResult) -> None:
    projected = ", ".join(f"{k} {v:,}" for k, v in result.projected.items())
    report.add(Measure(
        "replay (iter_all + pure projections)", result.events / result.seconds, "events/s",
        f"{result.events:,} events in {result.seconds:.2f} s: iter_all + voided_at, "
        f"stance_pairs, claims, actor_directory in memory ({projected})",
        ceiling=result.raw_rows / result.raw_seconds,
        ceiling_of="driver read of the same rows, same page size"))
    count, seconds = result.rebuild
    report.add(Measure(
        "rebuild (store.rebuild)", count / seconds, "events/s",
        f"{count:,} events in {seconds:.2f} s: every projection table rewritten from "
        "the log in one transaction",
        ceiling=result.raw_rows / result.raw_seconds,
        ceiling_of="driver read of every row of the log"))


def _measure_http(report: Report, plan: Plan, scratch: Scratch, workdir: Path,
                  appended: AppendResult, matrix_ceiling: list[float],
                  matrix_actors: int) -> None:
    stance_paths = [f"/api/stances?actor={a}&topic={t}&as_of={d.isoformat()}"
                    for a, t, d in query_space(plan.paths, seed=31)]
    matrix_paths = [f"/api/stances?topic={t}&as_of={d.isoformat()}"
                    for _, t, d in query_space(200, seed=37)]
    threaded = concurrent_appends.threaded_appends(scratch, plan.appends)
    with served(scratch.url, workdir) as server, LoadGenerator() as generator:
        posted = http_appends(server.port, plan.appends)
        concurrent = concurrent_appends.http_concurrent_appends(server.port, plan.appends)
        as_of = generator.run(server.port, stance_paths, plan.concurrency, plan.http_warmup,
                              plan.http_seconds)
        health = generator.run(server.port, ["/healthz"], plan.concurrency, plan.http_warmup,
                               plan.http_seconds)
        matrix = generator.run(server.port, matrix_paths, plan.matrix_concurrency,
                               plan.http_warmup, plan.matrix_seconds)
        cached.measure(report, server.port, generator, stance_paths, plan.concurrency,
                       plan.http_warmup, plan.http_seconds, workdir, as_of)
    report.add(Measure(
        "append (1 event, HTTP)", posted.rate, "appends/s",
        f"POST /api/events, sequential keep-alive client; p50 "
        f"{statistics.median(posted.timings) * 1e3:.2f} ms, p99 "
        f"{percentile(posted.timings, 0.99) * 1e3:.2f} ms over {posted.count:,}",
        ceiling=appended.rate, ceiling_of="the in-process single append"))
    concurrent_appends.http_row(report, concurrent, posted)
    concurrent_appends.threads_row(report, threaded, appended.rate)
    c = plan.concurrency
    window = f"{plan.http_seconds:g} s after {plan.http_warmup:g} s warm-up"
    report.add(Measure(
        f"HTTP as-of (c={c})", as_of["rps"], "req/s",
        f"GET /api/stances?actor&topic&as_of, {as_of['requests']:,} requests in {window}",
        ceiling=health["rps"], ceiling_of="GET /healthz, same server, same load",
        target=Target(">=", 0.60)))
    report.add(Measure(
        f"HTTP as-of (c={c}) p50", as_of["p50_ms"], "ms", ceiling=health["p50_ms"],
        ceiling_of="/healthz p50", style="x"))
    report.add(Measure(
        f"HTTP as-of (c={c}) p99", as_of["p99_ms"], "ms", ceiling=health["p99_ms"],
        ceiling_of="/healthz p99", style="x", target=Target("<=", 20.0, "value")))
    mc = plan.matrix_concurrency
    bare_mean = statistics.mean(matrix_ceiling) if matrix_ceiling else 0.0
    report.add(Measure(
        f"matrix (c={mc})", matrix["rps"], "req/s",
        f"GET /api/stances?topic&as_of (lean: evidence ids) over ~{matrix_actors:,} actors, "
        f"{matrix['requests']:,} requests",
        ceiling=1 / bare_mean if bare_mean else None,
        ceiling_of=f"{matrix_actors:,} bare probes in-process, one after the other"))
    report.add(Measure(
        f"matrix (c={mc}) p50", matrix["p50_ms"], "ms",
        ceiling=statistics.median(matrix_ceiling) * 1e3 if matrix_ceiling else None,
        ceiling_of="the bare probes' time per matrix", style="x"))
    for name, phase in (("as-of", as_of), ("healthz", health), ("matrix", matrix)):
        if phase["errors"]:
            report.notes.append(f"HTTP {name}: {phase['errors']} non-200 answers "
                                f"({phase['statuses']})")
    if server.peak_rss_mib:
        report.add(Measure("peak RSS (server process)", server.peak_rss_mib, "MiB",
                           "VmHWM of the uvicorn process at the end of the HTTP measures"))


def _page_row(report: Report, page: PageResult, target_ms: float | None) -> None:
    report.add(Measure(
        f"page GET / ({page.events:,} events)", page.median_ms, "ms",
        f"server time in-process (store reads, projections, template), median of "
        f"{len(page.timings)} after a warm-up; {page.size / 1024:,.0f} KiB of HTML",
        target=None if target_ms is None else Target("<=", target_ms, "value")))


def _measure_two_processes(report: Report, plan: Plan, scratch: Scratch,
                           workdir: Path) -> None:
    """Two service processes on one PostgreSQL: reads on both while one also takes writes."""
    paths = [f"/api/stances?actor={a}&topic={t}&as_of={d.isoformat()}"
             for a, t, d in query_space(plan.paths, seed=43)]
    half = max(1, plan.concurrency // 2)
    results: dict[str, Any] = {}
    with served(scratch.url, workdir) as first, served(scratch.url, workdir) as second, \
            LoadGenerator() as gen_a, LoadGenerator() as gen_b:
        def read(name: str, generator: LoadGenerator, port: int) -> None:
            results[name] = generator.run(port, paths, half, plan.http_warmup,
                                          plan.http_seconds)

        def write() -> None:
            time.sleep(plan.http_warmup)
            results["appends"] = http_appends(second.port, max(10, plan.appends // 4))

        threads = [threading.Thread(target=read, args=("a", gen_a, first.port)),
                   threading.Thread(target=read, args=("b", gen_b, second.port)),
                   threading.Thread(target=write)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    a, b, appends = results["a"], results["b"], results["appends"]
    report.add(Measure(
        "HTTP as-of, 2 processes, 1 database", a["rps"] + b["rps"], "req/s",
        f"two `stanceline serve` processes on one PostgreSQL, c={half} each "
        f"({a['rps']:,.0f} + {b['rps']:,.0f} req/s, p99 {max(a['p99_ms'], b['p99_ms']):.1f} ms)"
        f" while {appends.count:,} single appends went to the second at "
        f"{appends.rate:,.0f}/s"))


def _measure_peer(report: Report, plan: Plan, database: str | None, workdir: Path) -> None:
    try:
        version = peer.available(report.engine)
    except ImportError as exc:
        report.notes.append(f"the eventsourcing peer is not importable on {report.engine} "
                            f"({exc}; pip install 'eventsourcing[postgres]' or "
                            "'stanceline[bench]'): the peer rows are skipped")
        return
    report.versions["eventsourcing"] = version
    with scratch_database(database, workdir, prefix="peer") as scratch:
        started = time.perf_counter()
        result = peer.measure_peer(scratch, workdir, plan.peer_singles, plan.peer_batches,
                                   plan.peer_rebuilds)
        seconds = time.perf_counter() - started
    by_name = {m.name: m for m in report.measures}
    where = f"eventsourcing {version} on {report.engine}"
    report.add(Measure("peer: append (1 event/save)", result.single_rate, "events/s",
                       f"{where}, {result.single_count:,} saves"))
    report.add(Measure("peer: append (1,000 events/save)", result.batch_rate, "events/s",
                       f"{where}, {result.batch_events:,} events"))
    report.add(Measure("peer: rebuild a 1,000-event aggregate", result.rebuild_seconds * 1e3,
                       "ms", f"{where}, repository.get, median of {plan.peer_rebuilds} "
                             f"(peer measures took {seconds:.1f} s)"))
    single = by_name.get("append (1 event, in-process)")
    if single is not None:
        report.add(Measure("ours vs peer: single append", single.value, "appends/s",
                           ceiling=result.single_rate, ceiling_of="peer, 1 event/save",
                           target=Target(">=", 1.0), style="x"))
    concurrent_appends.peer_row(report, result.single_rate)
    load = by_name.get("load (batch append)")
    if load is not None:
        report.add(Measure("ours vs peer: batch (our load)", load.value, "events/s",
                           ceiling=result.batch_rate, ceiling_of="peer, 1,000 events/save",
                           target=Target(">=", 3.0), style="x"))
    as_of = by_name.get("as-of in-process p50")
    if as_of is not None:
        report.add(Measure("ours vs peer: as-of p50 vs aggregate rebuild", as_of.value / 1e3,
                           "ms", "one answer as of a date vs reading one 1,000-event stream",
                           ceiling=result.rebuild_seconds * 1e3,
                           ceiling_of="peer, rebuild a 1,000-event aggregate", style="x"))
