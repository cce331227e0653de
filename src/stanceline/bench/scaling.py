"""`stanceline bench --scaling`: as-of, matrix, page and load at 10k, 100k and 1M events, on
one log that grows between the measures (10k loaded, measured, 90k more, measured, ...), each
size against the first; the targets are that the page and as-of stay flat as the log grows."""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from stanceline.bench.inprocess import measure_as_of, measure_matrix, percentile
from stanceline.bench.page import measure_page
from stanceline.bench.report import Measure, Report, Target
from stanceline.bench.scratch import Scratch, engine_name, scratch_database, server_version
from stanceline.config import Settings
from stanceline.domain.lanes import busiest_lanes
from stanceline.service import Service
from stanceline.store.base import EventFilter
from stanceline.store.sql import SqlEventStore
from stanceline.synthetic import query_space, synthetic_events
from stanceline.web.chart import MAX_LANES

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 2_000, 4_000)
PAGE_LIMIT_MS = 300.0  # the page's server time at the first size
FLAT = 1.5  # how much slower than at the first size the largest log may be


@dataclass(frozen=True)
class SizeResult:
    """What one size of the growing log measured."""

    events: int  # the log's head after this step's load
    added: int
    load_rate: float
    as_of_p50: float  # seconds
    as_of_p99: float
    matrix_p50: float
    matrix_actors: int
    page_ms: float
    page_kib: float
    timeline: float  # seconds: the page's timeline reads (count, lanes, buckets)
    grouped: float  # seconds: the same answer grouped from the log, as before month_counts


def write_segment(path: Path, start: int, end: int) -> Path:
    """Synthetic events `start` to `end` (the registrations first when `start` is 0) as JSON
    Lines: the events `write_jsonl(path, end)` would write, less those already loaded."""
    events = synthetic_events(end, directory=start == 0)
    with path.open("w", encoding="utf-8") as handle:
        for event in islice(events, start, None):
            handle.write(json.dumps(event, separators=(",", ":")))
            handle.write("\n")
    return path


def measure_size(scratch: Scratch, workdir: Path, loaded: int, size: int, *, queries: int,
                 warmup: int, matrices: int, page_repeats: int) -> SizeResult:
    """Grow the log from `loaded` to `size` synthetic events and measure it."""
    source = write_segment(workdir / f"events-{size}.jsonl", loaded, size)
    service = Service.open(Settings(database_url=scratch.url, load_seed=False))
    try:
        summary = service.load([source])
    finally:
        service.close()
        source.unlink()
    store = SqlEventStore(scratch.url, migrate=False)
    try:
        as_of = measure_as_of(store, scratch, query_space(warmup + queries), warmup)
        matrix = measure_matrix(store, scratch, query_space(matrices, seed=41))
        timeline, grouped = measure_timeline(store, page_repeats)
        head = store.head()
    finally:
        store.close()
    page = measure_page(scratch.url, repeats=page_repeats)
    return SizeResult(head, summary.read, summary.read / summary.seconds,
                      percentile(as_of.ours, 0.5), percentile(as_of.ours, 0.99),
                      statistics.median(matrix.ours), matrix.actors, page.median_ms,
                      page.size / 1024, timeline, grouped)


def measure_timeline(store: SqlEventStore, repeats: int) -> tuple[float, float]:
    """Median seconds of what the page's timeline reads of the whole log (its count, the
    lanes' totals, the busiest lanes' buckets), from month_counts and grouped from the log
    (a `known_at` after everything: a filter the table cannot answer, the same events)."""
    def timed(flt: EventFilter) -> float:
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            store.count(flt)
            kept = busiest_lanes(store.lane_totals(flt), MAX_LANES)
            store.buckets(flt, kept)
            timings.append(time.perf_counter() - started)
        return statistics.median(timings)

    return timed(EventFilter()), timed(EventFilter(known_at=datetime(2999, 1, 1, tzinfo=UTC)))


def run_scaling(database: str | None = None, *, quick: bool = False,
                sizes: Sequence[int] | None = None) -> Report:
    """Grow one synthetic log through `sizes` (10k, 100k, 1M; smaller with `quick`) and
    report each size's measures beside the first size's, with the flatness targets."""
    steps = tuple(sizes or (QUICK_SIZES if quick else SIZES))
    report = Report(engine_name(database), steps[-1], os.cpu_count() or 0,
                    platform.python_version(), quick)
    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="stanceline-scaling-") as tmp:
        workdir = Path(tmp)
        with scratch_database(database, workdir, prefix="scaling") as scratch:
            loaded = 0
            for size in steps:
                results.append(measure_size(
                    scratch, workdir, loaded, size, queries=500 if quick else 4_000,
                    warmup=250 if quick else 1_000, matrices=3 if quick else 5,
                    page_repeats=3 if quick else 5))
                loaded = size
            store = SqlEventStore(scratch.url, migrate=False)
            try:
                report.versions[report.engine] = server_version(store.engine)
            finally:
                store.close()
    add_rows(report, results)
    return report


def add_rows(report: Report, results: Sequence[SizeResult]) -> None:
    """The scaling table: per size, as-of p50, matrix p50, page and load, each beside the
    first size's (the page and as-of with their targets)."""
    first = results[0]
    base = f"the same measure at {first.events:,} events, same run"
    for result in results:
        later = result is not first
        at = f"{result.events:,} events"
        report.add(Measure(
            f"scaling: as-of p50 ({at})", result.as_of_p50 * 1e6, "us",
            f"SqlEventStore.stance, p99 {result.as_of_p99 * 1e6:,.0f} us",
            ceiling=first.as_of_p50 * 1e6 if later else None, ceiling_of=base if later else "",
            style="x", target=Target("<=", FLAT) if later else None))
        report.add(Measure(
            f"scaling: matrix p50 ({at})", result.matrix_p50 * 1e3, "ms",
            f"SqlEventStore.matrix of a topic, ~{result.matrix_actors:,} actors",
            ceiling=first.matrix_p50 * 1e3 if later else None, ceiling_of=base if later else "",
            style="x"))
        report.add(Measure(
            f"scaling: page GET / ({at})", result.page_ms, "ms",
            f"server time in-process, median; {result.page_kib:,.0f} KiB of HTML",
            ceiling=first.page_ms if later else None, ceiling_of=base if later else "",
            style="x", target=Target("<=", FLAT) if later
            else Target("<=", PAGE_LIMIT_MS, "value")))
        report.add(Measure(
            f"scaling: timeline counts ({at})", result.timeline * 1e3, "ms",
            "the page's timeline reads (count, lane totals, buckets of the busiest lanes) "
            "from month_counts",
            ceiling=result.grouped * 1e3, style="x",
            ceiling_of="the same answer grouped from the log, as the page did before"))
        report.add(Measure(
            f"scaling: load ({at})", result.load_rate, "events/s",
            f"{result.added:,} events appended to the log of {result.events - result.added:,}"
            " through Service.load",
            ceiling=first.load_rate if later else None, ceiling_of=base if later else ""))
    report.notes.append("one log grows through the sizes: each load appends to the log the "
                        "previous size measured")
