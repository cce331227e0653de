"""The page measure: the server time of `GET /` (rendering included) on a loaded store."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from stanceline.config import Settings
from stanceline.service import Service

PAGE_TARGET_EVENTS = 10_000


@dataclass
class PageResult:
    """How long `GET /` took, and how big the page was."""

    events: int
    timings: list[float]
    size: int

    @property
    def median_ms(self) -> float:
        """The median server time in milliseconds."""
        return statistics.median(self.timings) * 1e3


def measure_page(url: str, source: Path | None = None, repeats: int = 5) -> PageResult:
    """Render `/` in-process (the ASGI app on its own store; no network), `repeats` times
    after one warm-up; load `source` first if given."""
    from fastapi.testclient import TestClient

    from stanceline.api import create_app

    settings = Settings(database_url=url, load_seed=False)
    service = Service.open(settings)
    try:
        if source is not None:
            service.load([source])
        app = create_app(settings, service=service)
        with TestClient(app) as client:
            size = len(client.get("/").content)
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                response = client.get("/")
                timings.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"GET / answered {response.status_code}")
        return PageResult(service.head(), timings, size)
    finally:
        service.close()
