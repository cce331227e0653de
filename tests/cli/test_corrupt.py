"""A corrupt stored value (JSON that is not JSON, written around the service with the guards
dropped) makes `verify` name its position in one line and exit non-zero, on both engines, and
the seeded service still starts and reports it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.service import Service

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
POSITION = 5


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def corrupted(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A seeded store whose row at POSITION holds invalid JSON in `data`."""
    url = (f"sqlite:///{tmp_path / 'corrupt.db'}" if request.param == "sqlite"
           else str(request.getfixturevalue("pg_url")))
    service = Service.open(Settings(database_url=url, load_seed=False))
    service.load([EVENTS])
    service.close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if request.param == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER events_no_update_delete ON events")
        conn.exec_driver_sql(f"UPDATE events SET data = '{{\"actor\": ' "
                             f"WHERE position = {POSITION}")
    engine.dispose()
    return url


def test_verify_names_the_corrupt_row_in_one_line(corrupted: str) -> None:
    result = subprocess.run([sys.executable, "-m", "stanceline", "verify", "-d", corrupted],
                            check=False, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "STANCELINE_LOAD_SEED": "false"})
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    assert f"position {POSITION}" in output and "cannot be read" in output


def test_the_seeded_service_still_starts_and_reports_it(corrupted: str) -> None:
    app = create_app(Settings(database_url=corrupted, load_seed=True, seed_events_dir=EVENTS))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        report = client.get("/api/verify").json()
        assert report["ok"] is False and report["broken_at"] == POSITION, report
        assert report["events"] == POSITION - 1
        # A read that reaches the row says what is wrong with it, in the error shape.
        answer = client.get("/api/events", params={"limit": 10})
        assert answer.status_code == 500
        assert answer.json()["error"] == "CorruptRecord"
        assert f"position {POSITION}" in answer.json()["detail"]
