"""An app on a fresh SQLite file (and on PostgreSQL where asked), driven in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.domain.events import EVENT_BATCH_IN, EventIn, prepare

ROOT = Path(__file__).resolve().parents[2]
DIRECTORY = [ROOT / "events" / "actors.jsonl", ROOT / "events" / "topics.jsonl"]


def make_client(url: str, **settings: Any) -> Iterator[TestClient]:
    """A client on a store holding only the curated directory (actors and topics): every
    reference must be registered, and the tests name the curated ids."""
    app = create_app(Settings(database_url=url, load_seed=False, **settings))
    with TestClient(app) as client:
        # Straight to the store: some tests set a batch limit smaller than the directory.
        client.app.state.service.store.append(  # type: ignore[attr-defined]
            [prepare(e) for e in directory()])
        yield client


def directory() -> list[EventIn]:
    """The curated actors and topics, on a stream of their own (so `actor:fra` starts at 0)."""
    lines = [json.loads(line) for path in DIRECTORY
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return EVENT_BATCH_IN.validate_python([{**e, "stream": "test-directory"} for e in lines])


# The first positions of `client`'s log hold the directory: the tests' own events follow.
B = len(directory())


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from make_client(f"sqlite:///{tmp_path / 'api.db'}")


def stance_json(actor: str = "fra", value: str = "supports", occurred: str = "2024-02",
                **extra: Any) -> dict[str, Any]:
    return {"type": "stance.declared", "occurred": occurred,
            "data": {"actor": actor, "topic": "troops-in-ukraine", "stance": value},
            "source": {"document": "test", "quote": "a quote"}, **extra}
