"""The benchmark command keeps working (a small N; figures are not asserted: no timed tests)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stanceline.cli import app
from tests.conftest import require_pg

runner = CliRunner()


def test_bench_runs_on_sqlite_and_prints_json() -> None:
    result = runner.invoke(app, ["bench", "--events", "300", "--appends", "20", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    names = {m["name"] for m in report["measures"]}
    assert {"load (batch append)", "append (1 event, in-process)"} <= names
    assert all(m["value"] > 0 for m in report["measures"])


@pytest.mark.postgres
def test_bench_runs_on_postgres() -> None:
    url = require_pg()
    result = runner.invoke(app, ["bench", "--events", "300", "--appends", "10", "-d", url])
    assert result.exit_code == 0, result.output
    assert "on postgresql" in result.output and "load (batch append)" in result.output
