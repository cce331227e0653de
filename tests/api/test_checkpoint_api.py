"""`GET /api/checkpoint` (issue 14.2): the signed head, signed on demand and stored; a clear
404 without a key; and every read route answers with `X-Stanceline-Head`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stanceline.cli import app as cli
from stanceline.domain.checkpoint import Checkpoint, Signer, check_signature
from tests.api.conftest import B, make_client, stance_json

T = "troops-in-ukraine"
KEY = Signer.generate()


@pytest.fixture
def signed(tmp_path: Path) -> Iterator[TestClient]:
    """A client whose service signs with a key from a file (as `keygen` writes it)."""
    key_file = tmp_path / "signing.key"
    key_file.write_bytes(KEY.private_pem())
    yield from make_client(f"sqlite:///{tmp_path / 'api.db'}", signing_key_file=key_file)


def test_without_a_key_the_checkpoint_is_a_clear_404(client: TestClient) -> None:
    answer = client.get("/api/checkpoint")
    assert answer.status_code == 404
    body = answer.json()
    assert body["error"] == "NoSigningKey" and "STANCELINE_SIGNING_KEY_FILE" in body["detail"]
    assert answer.headers["x-stanceline-head"] == str(B)


def test_an_unreadable_key_is_a_clear_404(tmp_path: Path) -> None:
    broken = tmp_path / "broken.key"
    broken.write_text("not a key")
    for client in make_client(f"sqlite:///{tmp_path / 'api.db'}", signing_key_file=broken):
        answer = client.get("/api/checkpoint")
        assert answer.status_code == 404 and str(broken) in answer.json()["detail"]


def test_the_checkpoint_signs_the_head_once_and_follows_it(signed: TestClient) -> None:
    first = signed.get("/api/checkpoint")
    assert first.status_code == 200, first.text
    wire = first.json()
    assert wire["position"] == B and first.headers["x-stanceline-head"] == str(B)
    assert wire["key"] == KEY.public_key and wire["algorithm"] == "ed25519"
    check_signature(Checkpoint.of(wire), KEY.public_key)
    assert signed.get("/api/checkpoint").json() == wire  # the head did not move: not re-signed
    signed.post("/api/events", json={"events": [stance_json()]}).raise_for_status()
    moved = signed.get("/api/checkpoint").json()
    assert moved["position"] == B + 1 and moved["time"] > wire["time"]
    check_signature(Checkpoint.of(moved), KEY.public_key)
    # Each signed head is kept, in a table rebuild leaves alone.
    store = signed.app.state.service.store  # type: ignore[attr-defined]
    store.rebuild()
    with store.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT position FROM checkpoints ORDER BY position"))
        assert [r[0] for r in kept] == [B, B + 1]


def test_a_later_append_is_recorded_after_the_checkpoint(signed: TestClient) -> None:
    wire = signed.get("/api/checkpoint").json()
    appended = signed.post("/api/events", json={"events": [stance_json()]}).json()
    assert appended["appended"][0]["recorded_at"] >= wire["time"]


def test_the_cli_prints_the_checkpoint_and_verifies_against_it(signed: TestClient,
                                                               tmp_path: Path) -> None:
    url = signed.app.state.service.settings.database_url  # type: ignore[attr-defined]
    env = {"STANCELINE_SIGNING_KEY_FILE": str(tmp_path / "signing.key")}
    printed = CliRunner().invoke(cli, ["checkpoint", "-d", url], env=env)
    assert printed.exit_code == 0, printed.output
    saved = tmp_path / "saved.json"
    saved.write_text(printed.output)
    assert Checkpoint.of(json.loads(printed.output)).position == B
    verified = CliRunner().invoke(cli, ["verify", "-d", url, "--against", str(saved),
                                        "--deep"], env=env)
    assert verified.exit_code == 0 and "extends the checkpoint of position" in verified.output
    no_key = CliRunner().invoke(cli, ["verify", "-d", url, "--against", str(saved)])
    assert no_key.exit_code == 1 and "--public-key" in no_key.output
    missing = CliRunner().invoke(cli, ["checkpoint", "-d", url])
    assert missing.exit_code == 1 and "no signing key" in missing.output
    for text, says in (("{not json", "invalid JSON"), ("[1]", "a JSON object"),
                       ('{"position": 1}', "has no hash")):
        saved.write_text(text)
        refused = CliRunner().invoke(cli, ["verify", "-d", url, "--against", str(saved)],
                                     env=env)
        assert refused.exit_code == 1 and says in refused.output, refused.output
        assert len(refused.output.strip().splitlines()) == 1


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path: Path) -> None:
    out = tmp_path / "made.key"
    made = CliRunner().invoke(cli, ["keygen", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert out.stat().st_mode & 0o777 == 0o600
    public = made.output.strip().splitlines()[-1]
    assert Signer.load(out.read_bytes(), str(out)).public_key == public
    again = CliRunner().invoke(cli, ["keygen", "--out", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert Signer.load(out.read_bytes(), str(out)).public_key == public  # not overwritten


# A request for every read route (the live stream never ends: tests/reliability/test_tamper.py).
SAMPLES = {
    "/": "/", "/api/events": "/api/events", "/api/events/{event_id}": None,
    "/api/actors": "/api/actors", "/api/actors/{actor}": "/api/actors/fra",
    "/api/topics": "/api/topics", "/api/stances": f"/api/stances?topic={T}",
    "/api/history": f"/api/history?actor=fra&topic={T}",
    "/api/changes": "/api/changes?from=2024-01-01", "/api/claims": "/api/claims",
    "/api/documents": "/api/documents", "/api/documents/{document}": "/api/documents/nope",
    "/api/panel": f"/api/panel?topic={T}&from=2024-01", "/api/verify": "/api/verify?deep=true",
    "/api/checkpoint": "/api/checkpoint", "/api/dates": "/api/dates?text=2025",
}


def test_every_read_route_answers_with_the_head(signed: TestClient) -> None:
    event_id = signed.post("/api/events", json={"events": [stance_json()]}).json()[
        "appended"][0]["id"]
    routes = {r.path for r in signed.app.routes  # type: ignore[attr-defined]
              if isinstance(r, APIRoute) and "GET" in r.methods
              and (r.path == "/" or r.path.startswith("/api/")) and r.path != "/api/live"}
    unknown = routes - set(SAMPLES)
    assert not unknown, f"add a sample request for {unknown}"
    for path in sorted(routes):
        url = SAMPLES[path] or f"/api/events/{event_id}"
        answer = signed.get(url)
        assert answer.status_code < 500, (url, answer.text)
        assert answer.headers.get("x-stanceline-head") == str(B + 1), url


def test_deep_verify_needs_a_write_token_when_writes_do(tmp_path: Path) -> None:
    # It holds the log's write lock for a whole rebuild: an open read must not be able to
    # stall every writer at will.
    for client in make_client(f"sqlite:///{tmp_path / 'api.db'}", api_tokens="alice:s3cret"):
        assert client.get("/api/verify").json()["ok"] is True
        refused = client.get("/api/verify", params={"deep": "true"})
        assert refused.status_code == 401 and refused.json()["error"] == "Unauthorized"
        allowed = client.get("/api/verify", params={"deep": "true"},
                             headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200 and allowed.json()["ok"] is True
