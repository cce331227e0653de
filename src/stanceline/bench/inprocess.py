"""The in-process measures and their bare-driver ceilings: load, single append, as-of, replay."""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from stanceline.answers import LoadSummary
from stanceline.bench.scratch import (
    BARE,
    Scratch,
    create_bare_table,
    insert_sql,
    pages,
    raw_connection,
)
from stanceline.config import Settings
from stanceline.domain.directory import ActorEntry
from stanceline.domain.events import EVENT_IN, RecordedEvent
from stanceline.domain.projections import CLAIM, actor_directory, claims, stance_pairs, voided_at
from stanceline.ingest import paused_gc
from stanceline.service import Service
from stanceline.store.sql import SqlEventStore
from stanceline.synthetic import synthetic_events

T = TypeVar("T")
BARE_BATCH = 10_000
READ_PAGE = 5_000
AS_OF_SQL = ("SELECT position FROM events WHERE type = 'stance.declared' AND actor = {m} "
             "AND topic = {m} AND occurred_start <= {m} "
             "ORDER BY occurred_start DESC, position DESC LIMIT 1")


def percentile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank percentile `q` (0..1) of `samples`."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last one shorter)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def max_rss_mib(who: int) -> float:
    """Peak resident set size of this process (RUSAGE_SELF) or of its largest waited-for
    child (RUSAGE_CHILDREN), in MiB (Linux reports KiB)."""
    return resource.getrusage(who).ru_maxrss / 1024


# -- load ---------------------------------------------------------------------------------
@dataclass
class LoadResult:
    """What the load measured: our rate and the bare executemany rate of the same rows."""

    summary: LoadSummary
    children_rss_before: float
    children_rss_after: float
    bare_rows: int = 0
    bare_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Events/s through `Service.load`."""
        return self.summary.read / self.summary.seconds

    @property
    def bare_rate(self) -> float:
        """Rows/s of the bare executemany."""
        return self.bare_rows / self.bare_seconds if self.bare_seconds else 0.0


def measure_load(scratch: Scratch, source: Path) -> LoadResult:
    """Events/s of `stanceline load` (validation, hashing, projections) into an empty store."""
    before = max_rss_mib(resource.RUSAGE_CHILDREN)
    service = Service.open(Settings(database_url=scratch.url, load_seed=False))
    try:
        summary = service.load([source])
    finally:
        service.close()
    return LoadResult(summary, before, max_rss_mib(resource.RUSAGE_CHILDREN))


def measure_bare_load(store: SqlEventStore, scratch: Scratch, result: LoadResult) -> None:
    """The ceiling of the load: the same rows (read back from the store, page by page) into a
    bare copy of the table, 10,000 rows per transaction, through the driver's fastest bulk
    path (executemany on SQLite, COPY on PostgreSQL); only the inserts and commits are timed."""
    create_bare_table(store.engine)
    sql: str | None = None
    with raw_connection(store.engine) as conn:
        for rows in pages(store.engine, "events", BARE_BATCH):
            sql = sql or insert_sql(scratch, len(rows[0]))
            started = time.perf_counter()
            if scratch.dialect == "postgresql":
                _copy_batch(conn, rows)
            else:
                _insert_batch(conn, scratch, sql, rows)
            result.bare_seconds += time.perf_counter() - started
            result.bare_rows += len(rows)


def _copy_batch(conn: Any, rows: Sequence[Any]) -> None:
    cursor = conn.cursor()
    try:
        with cursor.copy(f"COPY {BARE} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
    finally:
        cursor.close()


def _insert_batch(conn: Any, scratch: Scratch, sql: str, rows: Sequence[Any]) -> None:
    cursor = conn.cursor()
    try:
        if scratch.dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(sql, rows)
            cursor.execute("COMMIT")
        else:
            cursor.executemany(sql, rows)
            conn.commit()
    finally:
        cursor.close()


# -- single appends -----------------------------------------------------------------------
@dataclass
class AppendResult:
    """Single durable appends, ours and bare (one row, one transaction, one fsync)."""

    count: int
    seconds: float
    timings: list[float]
    bare_count: int = 0
    bare_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Appends/s."""
        return self.count / self.seconds

    @property
    def bare_rate(self) -> float:
        """Bare single-row commits/s."""
        return self.bare_count / self.bare_seconds if self.bare_seconds else 0.0


def measure_appends(scratch: Scratch, count: int) -> AppendResult:
    """Durable single-event appends/s in-process, into the loaded store: one transaction
    (and fsync) each."""
    service = Service.open(Settings(database_url=scratch.url, load_seed=False))
    try:
        events = [EVENT_IN.validate_python(e)
                  for e in synthetic_events(count, seed=11, retract_every=0)]
        timings: list[float] = []
        started = time.perf_counter()
        for event in events:
            t0 = time.perf_counter()
            service.append([event])
            timings.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - started
    finally:
        service.close()
    return AppendResult(count, seconds, timings)


def measure_bare_appends(store: SqlEventStore, scratch: Scratch, after: int,
                         result: AppendResult) -> None:
    """The ceiling of single appends: the rows our appends wrote (positions after `after`),
    inserted into the bare table one per transaction."""
    rows = [r for page in pages(store.engine, "events", READ_PAGE, after) for r in page]
    if not rows:
        return
    sql = insert_sql(scratch, len(rows[0]))
    with raw_connection(store.engine) as conn:
        started = time.perf_counter()
        for row in rows:
            _insert_batch(conn, scratch, sql, [row])
        result.bare_seconds = time.perf_counter() - started
    result.bare_count = len(rows)


# -- as-of --------------------------------------------------------------------------------
@dataclass
class AsOfResult:
    """Per-query latencies (seconds) of our stance query and of the bare SQL."""

    ours: list[float]
    bare: list[float]


def _bare_probe(scratch: Scratch) -> tuple[str, Any]:
    sql = AS_OF_SQL.format(m=scratch.mark)

    def bind(day: date) -> Any:
        # As the store binds them: ISO text on SQLite, date objects on PostgreSQL.
        return day.isoformat() if scratch.dialect == "sqlite" else day

    return sql, bind


def measure_as_of(store: SqlEventStore, scratch: Scratch,
                  questions: Sequence[tuple[str, str, date]], warmup: int) -> AsOfResult:
    """p50/p99 of `SqlEventStore.stance` against the bare query on the raw DBAPI connection
    (autocommit), in alternating blocks so that noise falls on both alike."""
    sql, bind = _bare_probe(scratch)
    result = AsOfResult([], [])
    clock = time.perf_counter
    with raw_connection(store.engine, autocommit=True) as conn:
        cursor = conn.cursor()
        try:
            for index, block in enumerate(chunked(questions, 250)):
                keep = index * 250 >= warmup
                for actor, topic, day in block:
                    t0 = clock()
                    store.stance(actor, topic, day)
                    if keep:
                        result.ours.append(clock() - t0)
                for actor, topic, day in block:
                    t0 = clock()
                    cursor.execute(sql, (actor, topic, bind(day))).fetchone()
                    if keep:
                        result.bare.append(clock() - t0)
        finally:
            cursor.close()
    return result


@dataclass
class MatrixResult:
    """Seconds per stance matrix: the store's one set-based read (`SqlEventStore.matrix`,
    decided by the pure fold) and the bare probes of the same pairs, one after the other."""

    ours: list[float]
    bare: list[float]
    actors: int


def measure_matrix(store: SqlEventStore, scratch: Scratch,
                   questions: Sequence[tuple[str, str, date]]) -> MatrixResult:
    """Per (topic, as_of): the store's matrix, then one bare probe per actor with a stance on
    the topic (its ceiling: the same rows the bare way), in turns so that noise falls on both."""
    sql, bind = _bare_probe(scratch)
    result = MatrixResult([], [], 0)
    actors = 0
    clock = time.perf_counter
    with raw_connection(store.engine, autocommit=True) as conn:
        cursor = conn.cursor()
        try:
            for _, topic, day in questions:
                pairs = store.stance_pairs(topic=topic)
                actors += len(pairs)
                t0 = clock()
                store.matrix(day, topic=topic)
                result.ours.append(clock() - t0)
                t0 = clock()
                for actor, _ in pairs:
                    cursor.execute(sql, (actor, topic, bind(day))).fetchone()
                result.bare.append(clock() - t0)
        finally:
            cursor.close()
    result.actors = actors // max(1, len(questions))
    return result


# -- replay (the pure projections over the log) and rebuild (the store's tables) -----------
@dataclass
class ReplayResult:
    """Events/s of a full replay of the log into in-memory projections, and of reading the
    same rows through the driver alone."""

    events: int
    seconds: float
    raw_rows: int
    raw_seconds: float
    projected: dict[str, int]
    rebuild: tuple[int, float] = (0, 0.0)


def replay(store: SqlEventStore) -> tuple[int, dict[str, int]]:
    """One streamed pass of `iter_all` that recomputes the projections in memory with the pure
    functions of `stanceline.domain.projections`, a page at a time (so memory stays flat)."""
    voids: dict[str, datetime] = {}
    pairs: set[tuple[str, str]] = set()
    directory: dict[str, ActorEntry] = {}
    # `claims` folds a list: only claims and what can void one need to be kept for it.
    claim_log: list[RecordedEvent] = []
    count = 0
    for page in chunked(store.iter_all(), READ_PAGE):
        count += len(page)
        for target, moment in voided_at(page).items():
            voids.setdefault(target, moment)
        pairs.update(stance_pairs(page))
        directory.update((a.actor, a) for a in actor_directory(page))
        claim_log.extend(e for e in page if e.type in (CLAIM, "event.retracted")
                         or e.supersedes is not None)
    found = claims(claim_log, None, None)
    return count, {"voids": len(voids), "stance_pairs": len(pairs),
                   "actors": len(directory), "claims": len(found)}


def measure_replay(store: SqlEventStore) -> ReplayResult:
    """Time the replay (cyclic GC paused, as `load` does) and the raw read of the same rows."""
    with paused_gc():
        started = time.perf_counter()
        count, projected = replay(store)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        raw_rows = sum(len(page) for page in pages(store.engine, "events", READ_PAGE))
        raw_seconds = time.perf_counter() - started
    result = ReplayResult(count, seconds, raw_rows, raw_seconds, projected)
    started = time.perf_counter()
    rebuilt = store.rebuild()
    result.rebuild = (rebuilt, time.perf_counter() - started)
    return result
