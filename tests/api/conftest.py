"""An app on a fresh SQLite file (and on PostgreSQL where asked), driven in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings


def make_client(url: str, **settings: Any) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url, load_seed=False, **settings))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from make_client(f"sqlite:///{tmp_path / 'api.db'}")


def stance_json(actor: str = "fra", value: str = "supports", occurred: str = "2024-02",
                **extra: Any) -> dict[str, Any]:
    return {"type": "stance.declared", "occurred": occurred,
            "data": {"actor": actor, "topic": "troops-in-ukraine", "stance": value},
            "source": {"document": "test", "quote": "a quote"}, **extra}
