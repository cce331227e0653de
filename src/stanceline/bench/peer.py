"""The peer: the `eventsourcing` library (an optional `[bench]` extra) on the same engine.

It is configured the way its documentation says, by its environment variables
(PERSISTENCE_MODULE and SQLITE_DBNAME, or POSTGRES_*), passed to the application's `env`.
"""

from __future__ import annotations

import importlib.metadata
import statistics
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from stanceline.bench.scratch import Scratch

PERSISTENCE = {"sqlite": "eventsourcing.sqlite", "postgresql": "eventsourcing.postgres"}


@dataclass
class PeerResult:
    """The peer's figures on this engine."""

    version: str
    single_rate: float
    single_count: int
    batch_rate: float
    batch_events: int
    rebuild_seconds: float
    rebuild_events: int


def available(dialect: str) -> str:
    """The installed version of `eventsourcing`, or an ImportError that says what is missing
    (its PostgreSQL module also needs `psycopg_pool`: `eventsourcing[postgres]`)."""

    importlib.import_module("eventsourcing.application")
    importlib.import_module(PERSISTENCE[dialect])
    return importlib.metadata.version("eventsourcing")


def peer_env(scratch: Scratch, workdir: Path) -> dict[str, str]:
    """The peer's persistence settings for the engine of `scratch`."""
    if scratch.dialect == "sqlite":
        return {"PERSISTENCE_MODULE": PERSISTENCE["sqlite"],
                "SQLITE_DBNAME": str(workdir / f"peer-{uuid.uuid4().hex[:8]}.db")}
    assert scratch.base_url is not None and scratch.schema is not None
    url = sa.engine.make_url(scratch.base_url)
    env = {"PERSISTENCE_MODULE": PERSISTENCE["postgresql"],
           "POSTGRES_DBNAME": url.database or "postgres",
           "POSTGRES_HOST": url.host or "127.0.0.1",
           "POSTGRES_PORT": str(url.port or 5432),
           "POSTGRES_USER": url.username or "postgres",
           "POSTGRES_PASSWORD": url.password or "",
           "POSTGRES_SCHEMA": scratch.schema}
    return env


def measure_peer(scratch: Scratch, workdir: Path, singles: int, batches: int,
                 rebuilds: int) -> PeerResult:
    """Its append rate with one event per save and with 1,000 per save, and the time to
    reconstruct a 1,000-event aggregate from its store (no snapshots, no cache)."""
    from stanceline.bench.peer_model import Dossier, PeerApp

    app = PeerApp(env=peer_env(scratch, workdir))
    try:
        dossier = Dossier()
        app.save(dossier)
        started = time.perf_counter()
        for i in range(singles):
            dossier.note("supports", f"2025-02-{i % 28 + 1:02d}")
            app.save(dossier)
        single_seconds = time.perf_counter() - started

        ids: list[Any] = []
        seconds = 0.0
        for _ in range(batches):
            # Timed as the single saves are: making the events (the peer's domain work) and
            # saving them; ours is timed from the JSON Lines file to the commit.
            started = time.perf_counter()
            big = Dossier()
            for i in range(999):
                big.note("opposes", f"2024-{i % 12 + 1:02d}")
            app.save(big)
            seconds += time.perf_counter() - started
            ids.append(big.id)

        timings: list[float] = []
        for i in range(rebuilds):
            started = time.perf_counter()
            rebuilt: Dossier = app.repository.get(ids[i % len(ids)])
            timings.append(time.perf_counter() - started)
            assert rebuilt.notes == 999
    finally:
        app.close()
    return PeerResult(importlib.metadata.version("eventsourcing"), singles / single_seconds,
                      singles, 1_000 * batches / seconds, 1_000 * batches,
                      statistics.median(timings), 1_000)
