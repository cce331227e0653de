"""`stanceline bench --scaling`: one log grown through the sizes, every size measured and
compared with the first. No figure is asserted (timed tests are flaky): only the rows, the
growth of the log and how the targets are judged."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from typer.testing import CliRunner

from stanceline.bench.report import Report
from stanceline.bench.scaling import QUICK_SIZES, SizeResult, add_rows
from stanceline.cli import app

runner = CliRunner()
MEASURES = ("as-of p50", "matrix p50", "page GET /", "timeline counts", "load")


def test_scaling_quick_grows_one_log_and_measures_every_size() -> None:
    result = runner.invoke(app, ["bench", "--scaling", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    assert report["engine"] == "sqlite" and report["events"] == QUICK_SIZES[-1]
    rows = report["measures"]
    assert len(rows) == len(MEASURES) * len(QUICK_SIZES)
    heads = sorted({int(r["name"].split("(")[1].split()[0].replace(",", "")) for r in rows})
    # Each size is the synthetic events so far plus the registrations loaded once, first.
    assert [h - heads[0] for h in heads] == [s - QUICK_SIZES[0] for s in QUICK_SIZES]
    loads = [r for r in rows if r["name"].startswith("scaling: load")]
    assert [r["detail"].split()[0] for r in loads] == [
        f"{heads[0]:,}", *(f"{b - a:,}" for a, b in pairwise(QUICK_SIZES))]
    for row in rows:
        assert row["value"] > 0, row
        if row["target"] is not None and (row["ratio"] is not None or "ms" in row["target"]):
            assert isinstance(row["met"], bool), row


def _size(events: int, as_of_us: float, page_ms: float) -> SizeResult:
    return SizeResult(events, events, 1_000.0, as_of_us / 1e6, as_of_us / 1e6, 0.01, 10,
                      page_ms, 100.0, 0.001, 0.01)


def test_the_targets_compare_each_size_with_the_first() -> None:
    report = Report("sqlite", 1_000_000)
    add_rows(report, [_size(10_000, 20.0, 250.0), _size(100_000, 25.0, 360.0),
                      _size(1_000_000, 40.0, 400.0)])
    met = {m.name: m.met for m in report.measures}
    assert met["scaling: page GET / (10,000 events)"] is True  # under 300 ms
    assert met["scaling: page GET / (100,000 events)"] is True  # 1.44x
    assert met["scaling: page GET / (1,000,000 events)"] is False  # 1.6x
    assert met["scaling: as-of p50 (100,000 events)"] is True
    assert met["scaling: as-of p50 (1,000,000 events)"] is False  # 2x
    slow = Report("sqlite", 10_000)
    add_rows(slow, [_size(10_000, 20.0, 320.0)])
    assert {m.name: m.met for m in slow.measures}["scaling: page GET / (10,000 events)"] is False
    assert "1,000,000 events" in Report.as_table(report)
