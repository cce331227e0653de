"""`stanceline bench`: the one place that measures Stanceline's speed, on a synthetic log."""

from __future__ import annotations

import contextlib
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa

from stanceline.config import Settings
from stanceline.domain.events import EVENT_IN
from stanceline.service import Service
from stanceline.synthetic import synthetic_events, write_jsonl


@dataclass
class Measure:
    """One figure of the benchmark, with its ceiling where one was measured."""

    name: str
    value: float
    unit: str
    detail: str = ""
    ceiling: float | None = None

    @property
    def ratio(self) -> float | None:
        """Value over ceiling."""
        return None if not self.ceiling else self.value / self.ceiling


@dataclass
class Report:
    """Everything one run measured."""

    engine: str
    events: int
    measures: list[Measure] = field(default_factory=list)

    def as_json(self) -> str:
        """The `--json` form."""
        rows = [{**asdict(m), "ratio": m.ratio} for m in self.measures]
        return json.dumps({"engine": self.engine, "events": self.events, "measures": rows},
                          indent=2)

    def as_table(self) -> str:
        """A plain-text table."""
        lines = [f"stanceline bench: {self.events:,} events on {self.engine}",
                 f"{'measure':<34}{'value':>14}  {'unit':<12}{'ceiling':>12}{'ratio':>8}  detail"]
        for m in self.measures:
            ceiling = "" if m.ceiling is None else f"{m.ceiling:,.0f}"
            ratio = "" if m.ratio is None else f"{m.ratio:.0%}"
            lines.append(f"{m.name:<34}{m.value:>14,.1f}  {m.unit:<12}{ceiling:>12}{ratio:>8}"
                         f"  {m.detail}")
        return "\n".join(lines)


@contextlib.contextmanager
def scratch_database(base_url: str | None, workdir: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on a PostgreSQL server."""
    if base_url is None or base_url.startswith("sqlite"):
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    schema = f"stanceline_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def measure_load(url: str, source: Path, events: int) -> Measure:
    """Events/s of `stanceline load` (validation, hashing, projections) into an empty store."""
    service = Service.open(Settings(database_url=url, load_seed=False))
    try:
        summary = service.load([source])
    finally:
        service.close()
    return Measure("load (batch append)", summary.read / summary.seconds, "events/s",
                   f"{events:,} events in {summary.seconds:.2f} s")


def measure_appends(url: str, count: int) -> Measure:
    """Durable single-event appends/s in-process: one transaction (and fsync) each."""
    service = Service.open(Settings(database_url=url, load_seed=False))
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
    p50 = statistics.median(timings) * 1e6
    return Measure("append (1 event, in-process)", count / seconds, "appends/s",
                   f"p50 {p50:,.0f} us over {count:,}")


def run(events: int = 100_000, database: str | None = None, appends: int = 1_000) -> Report:
    """Build the synthetic log and measure; SQLite unless `database` names a server."""
    engine = "sqlite" if database is None or database.startswith("sqlite") else "postgresql"
    report = Report(engine, events)
    with tempfile.TemporaryDirectory(prefix="stanceline-bench-") as tmp:
        workdir = Path(tmp)
        source = write_jsonl(workdir / "events.jsonl", events)
        with scratch_database(database, workdir) as url:
            report.measures.append(measure_load(url, source, events))
        with scratch_database(database, workdir) as url:
            report.measures.append(measure_appends(url, appends))
    return report


def main_report(report: Report, as_json: bool) -> str:
    """The report in the form asked for."""
    return report.as_json() if as_json else report.as_table()


__all__ = ["Measure", "Report", "main_report", "run"]


