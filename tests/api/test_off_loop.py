"""Long reads run off the event loop, so one matrix never holds up the requests behind it;
the single-pair as-of probe stays on the loop (measured faster than a thread hop)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.service import Service

ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"
K = "2030-01-01"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("loop") / "s.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", seed_events_dir=ROOT / "events"))
    with TestClient(app) as client:
        yield client


def on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def seen(seeded: TestClient, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bool]]:
    """For each watched service method, whether each call ran on the event loop's thread."""
    service: Service = seeded.app.state.service  # type: ignore[attr-defined]
    found: dict[str, list[bool]] = {}
    for name in ("stances", "history", "changes", "claims", "timeline"):
        method = getattr(service, name)

        def watched(*args: Any, _method: Callable[..., Any] = method, _name: str = name,
                    **kwargs: Any) -> Any:
            found.setdefault(_name, []).append(on_loop())
            return _method(*args, **kwargs)

        monkeypatch.setattr(service, name, watched)
    return found


@pytest.mark.parametrize(("url", "method"), [
    (f"/api/stances?topic={T}&known_at={K}", "stances"),
    (f"/api/stances?actor=fra&known_at={K}", "stances"),
    ("/api/stances", "stances"),
    (f"/api/history?actor=fra&topic={T}", "history"),
    ("/api/changes?from=2024-01-01&to=2025-06-01", "changes"),
    ("/api/claims?subject=force-size", "claims"),
    ("/", "timeline"),
])
def test_long_reads_run_in_the_thread_pool(seeded: TestClient, seen: dict[str, list[bool]],
                                           url: str, method: str) -> None:
    assert seeded.get(url).status_code == 200
    assert seen[method] and not any(seen[method])


def test_the_single_pair_probe_stays_on_the_event_loop(seeded: TestClient,
                                                       seen: dict[str, list[bool]]) -> None:
    response = seeded.get("/api/stances", params={"actor": "fra", "topic": T})
    assert response.status_code == 200 and response.json()["stances"][0]["stance"]
    assert seen["stances"] == [True]
