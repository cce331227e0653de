"""The benchmark command keeps working: `--quick --json` on each engine, every row measured.

No figure is asserted (timed tests are flaky): only that each row has a value above zero.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from stanceline.bench import Measure, Report, Target, main_report
from stanceline.bench.cached import nginx_binary
from stanceline.bench.scratch import BARE, create_bare_table
from stanceline.cli import app
from stanceline.store.sql import SqlEventStore
from tests.conftest import require_pg

runner = CliRunner()

EXPECTED = {
    "load (batch append)", "append (1 event, in-process)", "append (1 event, HTTP)",
    "as-of in-process p50", "as-of in-process p99", "HTTP as-of (c=32)",
    "HTTP as-of (c=32) p50", "HTTP as-of (c=32) p99", "matrix (c=4)", "matrix (c=4) p50",
    "peak RSS (bench process)", "append (1 event, HTTP, c=16)",
    "append (1 event, in-process, c=16)",
}
PEER = {"peer: append (1 event/save)", "peer: append (1,000 events/save)",
        "peer: rebuild a 1,000-event aggregate", "ours vs peer: single append",
        "ours vs peer: batch (our load)", "ours vs peer: append (1 event, c=16)"}

FRESH = "nginx: fresh answers after an append"
CACHED = {"HTTP as-of through nginx (c=32, revalidated)",
          "HTTP as-of through nginx (c=32, past known_at)", FRESH}


def _quick(*extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["bench", "--quick", "--json", *extra])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def _check(report: dict[str, Any], engine: str) -> None:
    assert report["engine"] == engine
    assert report["events"] == 2_000 and report["quick"] is True
    assert report["cpus"] >= 1 and report["python"]
    names = {m["name"] for m in report["measures"]}
    assert names >= EXPECTED, EXPECTED - names
    assert any(n.startswith(("replay", "rebuild")) for n in names)
    if "eventsourcing" in report["versions"]:
        assert names >= PEER
    if nginx_binary() is not None:
        assert names >= CACHED, CACHED - names
        fresh = next(m for m in report["measures"] if m["name"] == FRESH)
        assert fresh["met"] is True, fresh
    for row in report["measures"]:
        assert row["value"] > 0, row
        assert {"unit", "ceiling", "ratio", "target", "met", "detail"} <= set(row)
        if row["target"] is not None and row["ratio"] is not None:
            assert isinstance(row["met"], bool)


def test_bench_quick_on_sqlite() -> None:
    _check(_quick(), "sqlite")


@pytest.mark.postgres
def test_bench_quick_on_postgres() -> None:
    _check(_quick("-d", require_pg()), "postgresql")


def test_bare_table_copies_the_columns_and_indexes_but_not_the_guards(tmp_path: Path) -> None:
    store = SqlEventStore(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        create_bare_table(store.engine)
        with store.engine.connect() as conn:
            def described(table: str) -> list[tuple[Any, ...]]:
                return [tuple(r)[1:] for r in conn.exec_driver_sql(
                    f"PRAGMA table_info({table})")]

            assert described(BARE) == described("events")
            kinds = dict(conn.exec_driver_sql(
                "SELECT name, type FROM sqlite_master WHERE tbl_name = ?", (BARE,)).all())
            assert "bare_ix_events_stance_asof" in kinds
            assert "trigger" not in kinds.values()
            conn.exec_driver_sql(f"INSERT INTO {BARE} SELECT * FROM events")
            conn.exec_driver_sql(f"DELETE FROM {BARE}")  # no append-only guard on the copy
            inspector = sa.inspect(conn)
            assert len(inspector.get_unique_constraints(BARE)) == len(
                inspector.get_unique_constraints("events"))
    finally:
        store.close()


def test_report_says_which_targets_are_met() -> None:
    report = Report("sqlite", 10, cpus=2, python="3.11")
    report.add(Measure("fast", 90.0, "req/s", ceiling=100.0, target=Target(">=", 0.6)))
    report.add(Measure("slow", 30.0, "ms", target=Target("<=", 20.0, "value")))
    report.add(Measure("plain", 5.0, "x"))
    rows = {r["name"]: r for r in json.loads(main_report(report, True))["measures"]}
    assert rows["fast"]["met"] is True and rows["fast"]["ratio"] == pytest.approx(0.9)
    assert rows["slow"]["met"] is False and rows["slow"]["target"] == "<= 20 ms"
    assert rows["plain"]["met"] is None and rows["plain"]["ratio"] is None
    table = main_report(report, False)
    assert "sqlite" in table and "2 CPUs" in table and "NO" in table and "90%" in table
