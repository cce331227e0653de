"""A killed process never holds the log: SIGKILL `stanceline load` mid-batch, on both engines,
and its validating worker goes with it (holding none of its connections), and another
writer appends within 10 s."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stanceline.config import Settings
from stanceline.domain.events import EVENT_IN
from stanceline.ingest import LOAD_BATCH, PARALLEL_LOAD_BYTES
from stanceline.service import Service
from stanceline.synthetic import actor_name, synthetic_events, topic_name

ACTORS, TOPICS = 50, 5
EVENTS = 200_000
APPEND_WITHIN = 10.0


def write_log(path: Path) -> Path:
    """A large synthetic log whose actors and topics are registered first."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(ACTORS):
            out.write(json.dumps({"type": "actor.registered", "data": {
                "actor": actor_name(i), "name": f"Actor {i}", "kind": "country"}}) + "\n")
        for i in range(TOPICS):
            out.write(json.dumps({"type": "topic.defined", "data": {
                "topic": topic_name(i), "title": f"Topic {i}"}}) + "\n")
        for event in synthetic_events(EVENTS, actors=ACTORS, topics=TOPICS):
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
    assert path.stat().st_size > 4 * PARALLEL_LOAD_BYTES
    return path


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.extend(int(c) for c in text.split())
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper has already let go of everything)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def open_files(pid: int) -> list[str]:
    found = []
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            found.append(os.readlink(fd))
        except OSError:
            continue
    return found


@pytest.fixture
def loading(database: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`stanceline load` of a large file, started in its own process group (cleaned up)."""
    source = write_log(tmp_path / "big.jsonl")
    Service.open(Settings(database_url=database, load_seed=False)).close()  # migrated
    log = tmp_path / "load.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "stanceline", "load", str(source), "-d", database],
            stdout=out, stderr=out, start_new_session=True,
            env={**os.environ, "STANCELINE_LOAD_SEED": "false"})
    try:
        yield process, log
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        # Whatever the test found, leave nothing of the group behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def test_sigkill_of_load_mid_batch_frees_the_log(
        database: str, loading: tuple[subprocess.Popen[bytes], Path]) -> None:
    process, log = loading
    service = Service.open(Settings(database_url=database, load_seed=False))
    try:
        # Under way: one batch committed and the next in flight, the worker validating.
        deadline = time.monotonic() + 120
        while service.head() < LOAD_BATCH or not children(process.pid):
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the load did not get under way"
            time.sleep(0.02)
        workers = children(process.pid)
        # The worker holds none of the parent's connections: no socket, not the database.
        database_file = database.removeprefix("sqlite:///")
        for worker in workers:
            held = open_files(worker)
            assert not [f for f in held if f.startswith("socket:")], held
            assert not [f for f in held if database_file in f], held
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        started = time.monotonic()
        event = EVENT_IN.validate_python({
            "id": str(uuid.uuid4()), "type": "statement.made", "occurred": "2025-02",
            "data": {"actor": actor_name(0), "summary": "after the kill"},
            "source": {"document": "test", "quote": "q"}})
        appended = service.append([event])
        took = time.monotonic() - started
        assert appended and took < APPEND_WITHIN, f"the append took {took:.1f} s"
        # The worker went with its parent (it polls for it every 0.2 s).
        gone_by = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not [w for w in workers if alive(w)], "an orphaned worker is still running"
        assert service.verify().ok
    finally:
        service.close()
