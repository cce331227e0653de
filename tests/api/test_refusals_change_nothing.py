"""Issue 11.10 (for 5, 7, 8, 9): every refusal replayed against the loaded seed record leaves
the chain head and every answer exactly as they were."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stanceline.api import create_app
from stanceline.cli import app as cli
from stanceline.config import Settings
from tests.api.conftest import stance_json

ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"
K = "2100-01-01T00:00:00Z"  # a fixed `known_at`, so that answers do not carry the clock

READS: list[tuple[str, dict[str, str]]] = [
    ("/api/verify", {}),
    ("/api/documents", {}),
    ("/api/documents/004_c95673309f0d515a", {}),
    ("/api/events", {"limit": "1000", "known_at": K}),
    ("/api/events", {"limit": "1000", "known_at": K, "include_retracted": "true"}),
    ("/api/actors", {}),
    ("/api/topics", {}),
    ("/api/stances", {"topic": T, "as_of": "2025-03-15", "known_at": K}),
    ("/api/stances", {"as_of": "2026-01-10", "known_at": K}),
    ("/api/history", {"actor": "fra", "topic": T, "known_at": K}),
    ("/api/changes", {"from": "2025-02-15", "to": "2026-01-10", "known_at": K}),
    ("/api/claims", {"subject": "force-size", "as_of": "2026-01-10", "known_at": K}),
]

REFUSED_READS: list[tuple[str, dict[str, str], int]] = [
    ("/api/stances", {"actor": "fra", "topic": "troops"}, 404),
    ("/api/stances", {"actor": "deuu", "topic": T}, 404),
    ("/api/stances", {"topic": T, "asof": "2025"}, 422),
    ("/api/history", {"actor": "Grmany", "topic": T}, 404),
    ("/api/changes", {"from": "2025-01-01", "topic": "reassurance-force"}, 404),
    ("/api/claims", {"subject": "force-sizes"}, 404),
    ("/api/events", {"actor": "germanyy"}, 404),
    ("/api/events", {"actr": "fra"}, 422),
    ("/api/events", {"type": "stance.declard"}, 404),
    ("/api/events/00000000-0000-0000-0000-000000000000", {}, 404),
    ("/api/actors/deuu", {}, 404),
    ("/api/documents/004_c9567", {}, 404),
    ("/", {"actor": "deuu"}, 404),
    ("/", {"topic": "troops"}, 404),
    ("/", {"actr": "fra"}, 422),
]


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    with TestClient(create_app(Settings(database_url=url, seed_events_dir=ROOT / "events"))
                    ) as client:
        yield client, url


def answers(client: TestClient) -> list[object]:
    found: list[object] = []
    for path, params in READS:
        r = client.get(path, params=params)
        assert r.status_code == 200, (path, r.text[:300])
        found.append(r.json())
    return found


def test_every_refusal_leaves_the_store_and_its_answers_as_they_were(
        loaded: tuple[TestClient, str], tmp_path: Path) -> None:
    client, url = loaded
    before = answers(client)
    assert before[0]["ok"] and before[0]["events"] > 100  # type: ignore[index]
    for path, params, status in REFUSED_READS:
        assert client.get(path, params=params).status_code == status, (path, params)
    # A misspelt `expect` and invalid JSON: refused before anything is appended.
    bad_field = client.post("/api/events", json={"events": [stance_json()],
                                                 "expects": {"actor:fra": 0}})
    assert bad_field.status_code == 422
    bad_json = client.post("/api/events", content='{"events": [,]}',
                           headers={"content-type": "application/json"})
    assert bad_json.status_code == 422
    # What gets in (issue 11.1-4): each refused whole, with nothing written.
    made_up = stance_json("pol", occurred="2025-01")
    made_up["source"] = {"document": "004_c95673309f0d515a",
                         "quote": "Poland will gladly send 50,000 troops tomorrow."}
    refused_writes: list[tuple[list[dict[str, object]], int]] = [
        ([made_up], 422),
        ([stance_json("germany")], 422),
        ([stance_json("Germany")], 422),
        ([{**stance_json(), "data": {"actor": "fra", "topic": "reassurance-force",
                                     "stance": "supports"}}], 422),
        ([{"type": "actor.registered", "data": {"actor": "pol", "name": "Poland",
                                                "kind": "country"}}], 409),
        ([{"type": "topic.defined", "data": {"topic": T, "title": "Redefined"}}], 409),
        ([{"type": "actor.registered", "data": {"actor": "xyz", "name": "Xyz",
                                                "kind": "country", "aliases": ["Polish"]}}],
         422),
        ([{"type": "actor.updated", "data": {"actor": "deuu", "name": "Germany"}}], 422),
        ([{"type": "document.registered", "data": {"document": "004_c95673309f0d515a",
                                                   "title": "Again", "text": "x"}}], 409),
        # A good event and a bad one in one batch: the batch is refused whole.
        ([stance_json("fra", occurred="2026-06-01"), stance_json("merz")], 422),
    ]
    for batch, status in refused_writes:
        r = client.post("/api/events", json={"events": batch})
        assert r.status_code == status, (batch, r.text)
    # The CLI: a malformed JSON line in `load` of this very store, and read commands with
    # names that do not exist.
    broken = tmp_path / "broken.jsonl"
    good = json.dumps(stance_json("fra", occurred="2026-05-01"))
    broken.write_text(good + "\n" + '{"type": "stance.declared",,}' + "\n")
    runner = CliRunner()
    loaded_bad = runner.invoke(cli, ["load", str(broken), "-d", url])
    assert loaded_bad.exit_code == 1 and f"{broken}:2:" in loaded_bad.output
    for args in (["stance", "deuu", T], ["stance", "fra", "troops"],
                 ["history", "fra", "troops"],
                 ["changes", "--from", "2025", "--topic", "own-troop"]):
        result = runner.invoke(cli, [*args, "-d", url])
        assert result.exit_code == 1 and "did you mean" in result.output, (args, result.output)
    # A read-only command on a store that does not exist creates none.
    missing = tmp_path / "missing.db"
    assert runner.invoke(cli, ["verify", "-d", f"sqlite:///{missing}"]).exit_code == 1
    assert not missing.exists()
    assert answers(client) == before
