"""Limits refuse with a clear 4xx that names the limit, and store nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.api.conftest import B, make_client, stance_json


def test_batch_size_limit(tmp_path: Path) -> None:
    for client in make_client(f"sqlite:///{tmp_path / 'b.db'}", max_batch_events=3):
        r = client.post("/api/events", json={"events": [stance_json() for _ in range(4)]})
        assert r.status_code == 422
        assert "at most 3 events" in r.json()["detail"]
        assert "STANCELINE_MAX_BATCH_EVENTS" in r.json()["detail"]
        assert client.get("/api/events", params={"after": B}).json()["events"] == []
        ok = client.post("/api/events", json={"events": [stance_json() for _ in range(3)]})
        assert ok.status_code == 201


def test_string_length_limits_name_the_limit(tmp_path: Path) -> None:
    for client in make_client(f"sqlite:///{tmp_path / 's.db'}"):
        long_summary = stance_json()
        long_summary["data"]["summary"] = "x" * 4001
        r = client.post("/api/events", json={"events": [long_summary]})
        assert r.status_code == 422
        assert r.json()["errors"][0]["path"] == "events.0.data.summary"
        assert "4000" in r.json()["detail"]
        long_quote = stance_json(source={"document": "d", "quote": "q" * 4001})
        assert client.post("/api/events", json={"events": [long_quote]}).status_code == 422
        long_actor = stance_json(actor="a" * 81)
        r = client.post("/api/events", json={"events": [long_actor]})
        assert r.status_code == 422 and "80" in r.json()["detail"]
        r = client.get("/api/stances", params={"as_of": "x" * 201})
        assert r.status_code == 422 and "200" in r.json()["detail"]


def test_read_page_limit(tmp_path: Path) -> None:
    for client in make_client(f"sqlite:///{tmp_path / 'r.db'}", max_page=50):
        r = client.get("/api/events", params={"limit": 51})
        assert r.status_code == 422
        assert "between 1 and 50" in r.json()["detail"] and "STANCELINE_MAX_PAGE" in (
            r.json()["detail"])
        assert client.get("/api/events", params={"limit": 50}).status_code == 200


def test_verify_names_the_first_broken_position(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    for client in make_client(url):
        client.post("/api/events", json={"events": [
            stance_json(a) for a in ("fra", "deu", "pol", "gbr", "ukr")]})
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER events_no_delete")
            conn.exec_driver_sql(f"DELETE FROM events WHERE position = {B + 4}")
        engine.dispose()
        report = client.get("/api/verify").json()
        assert report["ok"] is False and report["broken_at"] == B + 4
        assert report["events"] == B + 3 and "missing" in report["detail"]
        # A broken chain never stops the service: it still answers, and says so.
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/stances", params={"actor": "fra", "topic": "troops-in-ukraine"}
                          ).status_code == 200
