"""A synthetic log big enough that wide reads take real time, built once per test module by
`stanceline load` (as an operator would), on SQLite or in a PostgreSQL schema of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from stanceline.synthetic import write_jsonl
from tests.conftest import _with_schema, require_pg

ROOT = Path(__file__).resolve().parents[2]


def load(url: str, events: Path) -> None:
    """`stanceline load` of a JSON Lines file into the store at `url` (created)."""
    done = subprocess.run([sys.executable, "-m", "stanceline", "load", str(events),
                           "--database", url], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "STANCELINE_LOAD_SEED": "false"}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def big_log(request: pytest.FixtureRequest, folder: Path, events: int) -> Iterator[str]:
    """The URL of a store holding `events` synthetic events (and their registrations); a
    PostgreSQL schema is dropped afterwards."""
    source = write_jsonl(folder / "synthetic.jsonl", events)
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'big.db'}"
        load(url, source)
        yield url
        return
    base = require_pg()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = _with_schema(base, schema)
        load(url, source)
        yield url
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def rss_mib(pid: int) -> float:
    """A process's resident memory (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system, all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the command's closing parenthesis: utime and stime are fields 14 and 15 of stat.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
