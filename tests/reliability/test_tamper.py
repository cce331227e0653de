"""Issue 14.1 and 14.2: tamper evidence against an attacker with file access, on both engines.

Each test seeds a real store, checks that the untampered log verifies (so it can fail), then
changes the database as an attacker with the file (or the superuser) would, dropping the
append-only triggers first where needed, and checks that `verify` (the store's, the CLI's and
the API's) finds it: the columns the queries read, the projection tables (`--deep`), and what a
checkpoint saved before the attack anchors (`--against`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from stanceline.api import create_app
from stanceline.cli import app as cli
from stanceline.config import Settings
from stanceline.domain.chain import recorded_hash
from stanceline.domain.checkpoint import Checkpoint, Signer
from stanceline.domain.digest import content_digest, link_hash
from stanceline.domain.events import RecordedEvent, format_timestamp
from stanceline.service import Service
from stanceline.store.sql import SqlEventStore
from tests.conftest import stance
from tests.reliability.conftest import Server

T = "troops-in-ukraine"
KEY = Signer.generate()


def seeded(url: str) -> str:
    """`url`, holding the curated record (documents, citations, every projection)."""
    service = Service.open(Settings(database_url=url))
    assert service.seed() is not None
    service.close()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A seeded store on each engine."""
    return seeded(f"sqlite:///{tmp_path / 'tamper.db'}" if request.param == "sqlite"
                  else str(request.getfixturevalue("pg_url")))


def opened(url: str) -> Iterator[Service]:
    """The seeded store's service, with a signing key; its untampered log verifies (deep),
    so every test below can fail."""
    made = Service.open(Settings(database_url=url, load_seed=False,
                                 signing_key=SecretStr(KEY.private_pem().decode())))
    report = made.verify(deep=True)
    assert report.ok and report.events > 100, report
    yield made
    made.close()


@pytest.fixture
def service(url: str) -> Iterator[Service]:
    """The service of a seeded store, on each engine."""
    yield from opened(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A seeded SQLite store (the dates' text is SQLite's alone)."""
    return seeded(f"sqlite:///{tmp_path / 'tamper.db'}")


@pytest.fixture
def on_sqlite(sqlite_url: str) -> Iterator[Service]:
    """The service of a seeded SQLite store."""
    yield from opened(sqlite_url)


def sql(service: Service) -> SqlEventStore:
    store = service.store
    assert isinstance(store, SqlEventStore)
    return store


def attack(service: Service, *statements: str, **params: Any) -> None:
    """Run raw SQL as an attacker with the file (the triggers dropped first)."""
    store = sql(service)
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS events_no_update_delete ON events")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        else:
            for trigger in ("events_no_update", "events_no_delete", "events_no_replace"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            conn.execute(sa.text(statement), params)


def one_line_failure(url: str, *args: str, env: dict[str, str] | None = None) -> str:
    """`stanceline verify ARGS` fails with exit code 1 and one readable line; that line."""
    result = CliRunner().invoke(cli, ["verify", "-d", url, *args], env=env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def stance_position(service: Service, actor: str) -> int:
    with sql(service).engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT MIN(position) FROM events WHERE actor = :a AND type = 'stance.declared'"),
            {"a": actor}).scalar_one())


# -- 14.1: every column the queries read ---------------------------------------------------
def test_moving_a_stance_to_another_actor_is_found(service: Service, url: str) -> None:
    before = len(service.store.read(_stances_of("deu")))
    position = stance_position(service, "pol")
    attack(service, "UPDATE events SET actor = 'deu' "
                    "WHERE actor = 'pol' AND type = 'stance.declared'")
    # The attack works: Germany now answers with Poland's stance events ...
    assert len(service.store.read(_stances_of("deu"))) > before
    # ... and verify finds it, naming the first row moved and the column.
    report = service.verify()
    assert not report.ok and report.broken_at == position and report.column == "actor"
    line = one_line_failure(url)
    assert f"position {position}" in line and "`actor`" in line and "'pol'" in line


def _stances_of(actor: str) -> Any:
    from stanceline.store.base import EventFilter

    return EventFilter(actor=actor, type="stance.declared", limit=1000)


def test_a_changed_topic_column_is_found(service: Service, url: str) -> None:
    position = stance_position(service, "fra")
    attack(service, "UPDATE events SET topic = 'ceasefire' WHERE position = :p", p=position)
    report = service.verify()
    assert not report.ok and report.broken_at == position and report.column == "topic"
    assert "`topic`" in one_line_failure(url)


@pytest.mark.parametrize("text", ["20250203", "2025-2-3", "2025-02-03T00:00:00", " 2025-02-03"])
def test_sqlite_a_date_text_with_the_same_value_is_found(on_sqlite: Service, sqlite_url: str,
                                                         text: str) -> None:
    service, url = on_sqlite, sqlite_url
    position = stance_position(service, "fra")
    attack(service, "UPDATE events SET occurred_start = :t WHERE position = :p", t=text,
           p=position)
    report = service.verify()
    assert not report.ok and report.broken_at == position
    assert report.column == "occurred_start", report
    assert "`occurred_start`" in one_line_failure(url)


def test_sqlite_a_recording_time_in_another_format_is_found(on_sqlite: Service,
                                                            sqlite_url: str) -> None:
    service = on_sqlite
    attack(service, "UPDATE events SET recorded_at = replace(recorded_at, ' ', 'T') "
                    "WHERE position = 7")
    report = service.verify()
    assert not report.ok and report.broken_at == 7 and report.column == "recorded_at"
    assert "`recorded_at`" in one_line_failure(sqlite_url)


def test_a_date_with_another_value_is_found(service: Service, url: str) -> None:
    position = stance_position(service, "fra")
    attack(service, "UPDATE events SET occurred_end = occurred_start + 1 WHERE position = :p"
           if sql(service).dialect == "postgresql" else
           "UPDATE events SET occurred_end = '1999-01-01' WHERE position = :p", p=position)
    report = service.verify()
    assert not report.ok and report.broken_at == position
    assert "does not match its hash" in report.detail


# -- 14.1: the projections (--deep) --------------------------------------------------------
def test_a_row_inserted_into_voids_is_found_deep(service: Service, url: str) -> None:
    store = sql(service)
    victim, by = service.store.read(_stances_of("fra"))[0], service.store.read(
        _stances_of("gbr"))[0]
    ids = (store.sql.bind_id(victim.id), store.sql.bind_id(by.id))
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            store.sql.named("INSERT INTO voids (target, by_id, void_at) "
                            "VALUES (:t, :b, :at)"),
            {"t": ids[0], "b": ids[1], "at": store.sql.bind_moment(victim.recorded_at)})
    # The attack works: the event is retracted ...
    assert victim.id in service.voids([victim.id], None)
    assert service.verify().ok  # ... and the chain cannot see it: only --deep does.
    report = service.verify(deep=True)
    assert not report.ok and report.table == "voids" and "is stored but the log does not" \
        in report.detail
    line = one_line_failure(url, "--deep")
    assert "`voids`" in line


@pytest.mark.parametrize(("table", "change"), [
    ("actors", "UPDATE actors SET name = 'Forged' WHERE actor = 'pol'"),
    ("actor_aliases", "DELETE FROM actor_aliases WHERE actor = 'fra'"),
    ("actor_aliases", "UPDATE actor_aliases SET actor = 'deu' WHERE actor = 'fra'"),
    ("stance_pairs", "DELETE FROM stance_pairs WHERE actor = 'pol'"),
    ("stance_pairs", "UPDATE stance_pairs SET topic = 'forged' WHERE actor = 'pol'"),
    ("claims", "UPDATE claims SET subject = 'forged' WHERE position = "
               "(SELECT MIN(position) FROM claims)"),
    ("citations", "DELETE FROM citations WHERE position = (SELECT MIN(position) FROM citations)"),
    ("event_refs", "INSERT INTO event_refs (actor, position) VALUES ('deu', 1)"),
])
def test_a_changed_projection_row_is_found_deep(service: Service, url: str, table: str,
                                                change: str) -> None:
    attack(service, change)
    assert service.verify().ok
    report = service.verify(deep=True)
    assert not report.ok and report.table == table, report
    assert f"`{table}`" in report.detail
    assert f"`{table}`" in one_line_failure(url, "--deep")
    # Verifying changed nothing: the tampered row is still there, found again.
    assert service.verify(deep=True).table == table


def test_a_changed_document_row_is_found_deep(service: Service, url: str) -> None:
    with sql(service).engine.begin() as conn:
        count = conn.exec_driver_sql("SELECT COUNT(*) FROM documents").scalar_one()
        assert count > 0  # the seed registers its sources
        conn.exec_driver_sql("UPDATE documents SET title = 'Forged' WHERE document = "
                             "(SELECT MIN(document) FROM documents)")
    report = service.verify(deep=True)
    assert not report.ok and report.table == "documents" and "'Forged'" in report.detail
    assert "holds" in report.detail and "but the log gives" in report.detail


def test_the_api_answers_deep_verify_with_the_finding(service: Service, url: str) -> None:
    with TestClient(create_app(Settings(database_url=url, load_seed=False))) as client:
        assert client.get("/api/verify", params={"deep": "true"}).json()["ok"] is True
        attack(service, "UPDATE actors SET kind = 'group' WHERE actor = 'pol'")
        assert client.get("/api/verify").json()["ok"] is True
        answer = client.get("/api/verify", params={"deep": "true"})
        assert answer.status_code == 200
        body = answer.json()
        assert body["ok"] is False and body["table"] == "actors"
        assert "pol" in body["detail"] and "head" not in body
        attack(service, "UPDATE events SET actor = 'deu' "
                        "WHERE actor = 'pol' AND type = 'stance.declared'")
        body = client.get("/api/verify").json()
        assert body["ok"] is False and body["column"] == "actor" and body["broken_at"] > 0


# -- 14.2: what a checkpoint saved before the attack anchors ---------------------------------
def saved(service: Service, tmp_path: Path) -> tuple[Checkpoint, Path]:
    """A checkpoint of the head, saved to a file (as from cron)."""
    checkpoint = service.checkpoint()
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(checkpoint.wire()))
    return checkpoint, path


def against(path: Path) -> list[str]:
    return ["--against", str(path), "--public-key", KEY.public_key]


def test_an_untampered_log_extends_its_checkpoint(service: Service, url: str,
                                                  tmp_path: Path) -> None:
    checkpoint, path = saved(service, tmp_path)
    service.store.append([stance("fra", T, "opposes", "2025-06-01")])
    report = service.verify_against(checkpoint)
    assert report.ok and report.events == checkpoint.position + 1
    result = CliRunner().invoke(cli, ["verify", "-d", url, *against(path)])
    assert result.exit_code == 0 and "extends the checkpoint" in result.output


def test_truncation_is_found_against_a_checkpoint(service: Service, url: str,
                                                  tmp_path: Path) -> None:
    checkpoint, path = saved(service, tmp_path)
    attack(service, "DELETE FROM events WHERE position > :p", p=checkpoint.position - 2)
    assert service.verify().ok  # the chain alone cannot tell
    report = service.verify_against(checkpoint)
    assert not report.ok and "rows were removed" in report.detail
    line = one_line_failure(url, *against(path))
    assert f"ends at position {checkpoint.position - 2}" in line


def rechain(service: Service, events: list[RecordedEvent], prev: str) -> None:
    """Write `events` back with their hashes recomputed from `prev` on (the attacker's
    re-chaining), one row per statement (a batch shares one recording time)."""
    store = sql(service)
    with store.engine.begin() as conn:
        for given in events:
            linked = replace(given, prev_hash=prev)
            linked = replace(linked, hash=link_hash(prev, linked.position, linked.version,
                                                    format_timestamp(linked.recorded_at),
                                                    content_digest(linked)))
            assert recorded_hash(linked) == linked.hash
            store.sql.insert_events(conn, [linked])
            prev = linked.hash


def test_a_deleted_middle_row_rechained_is_found_against_a_checkpoint(
        service: Service, url: str, tmp_path: Path) -> None:
    checkpoint, _ = saved(service, tmp_path)
    gone = checkpoint.position // 2
    log = list(service.store.iter_all())
    attack(service, "DELETE FROM events WHERE position >= :p", p=gone)
    rechain(service, [replace(e, position=e.position - 1) for e in log[gone:]],
            log[gone - 2].hash)
    report = service.verify()
    assert report.ok and report.events == checkpoint.position - 1  # the chain walks
    report = service.verify_against(checkpoint)
    assert not report.ok and "ends at position" in report.detail
    # A checkpoint of an earlier head sees the rewrite at its own position.
    earlier = KEY.sign(log[gone + 5].position, log[gone + 5].hash, log[gone + 5].recorded_at)
    report = service.verify_against(earlier)
    assert not report.ok and report.broken_at == gone + 6 and "rewritten" in report.detail
    assert "re-chained" in one_line_failure(url, *against(_write(tmp_path, earlier)))


def _write(tmp_path: Path, checkpoint: Checkpoint) -> Path:
    path = tmp_path / f"checkpoint-{checkpoint.position}.json"
    path.write_text(json.dumps(checkpoint.wire()))
    return path


def test_a_forged_back_dated_tail_row_is_found_against_a_checkpoint(
        service: Service, url: str, tmp_path: Path) -> None:
    checkpoint, path = saved(service, tmp_path)
    head = list(service.store.iter_all(checkpoint.position - 1))[-1]
    forged = stance("deu", T, "opposes", "2025-01-10")
    version = max((e.version for e in service.store.iter_all() if e.stream == forged.stream),
                  default=0)
    row = RecordedEvent(
        position=head.position + 1, id=forged.id, stream=forged.stream, version=version + 1,
        type=forged.type, schema_version=forged.schema_version, occurred=forged.occurred,
        occurred_start=forged.occurred_start, occurred_end=forged.occurred_end,
        precision=forged.precision, occurred_text=None, relative_to=None,
        recorded_at=checkpoint.signed_at - timedelta(days=30), data=forged.data,
        source=forged.source, supersedes=None, disputed=False, note=None,
        data_json=forged.data_json, source_json=forged.source_json, hash="", prev_hash="",
        actor=forged.actor, topic=forged.topic)
    rechain(service, [row], head.hash)
    assert service.verify().ok  # the forged row continues the chain
    report = service.verify_against(checkpoint)
    assert not report.ok and report.broken_at == head.position + 1
    assert "back-dated" in report.detail
    assert "back-dated" in one_line_failure(url, *against(path))


def test_a_checkpoint_signed_by_another_key_is_refused(service: Service, url: str,
                                                       tmp_path: Path) -> None:
    checkpoint, path = saved(service, tmp_path)
    forger = Signer.generate()
    resigned = forger.sign(checkpoint.position, checkpoint.hash, checkpoint.signed_at)
    line = one_line_failure(url, *against(_write(tmp_path, resigned)))
    assert "not by the trusted key" in line
    # Its own key given as the trusted one proves only that the forger signed it; the
    # configured key's public half is the default trusted key.
    env = {"STANCELINE_SIGNING_KEY": KEY.private_pem().decode()}
    line = one_line_failure(url, "--against", str(_write(tmp_path, resigned)), env=env)
    assert "not by the trusted key" in line
    result = CliRunner().invoke(cli, ["verify", "-d", url, "--against", str(path)], env=env)
    assert result.exit_code == 0, result.output
    tampered = {**checkpoint.wire(), "position": checkpoint.position - 1}
    line = one_line_failure(url, *against(_write_wire(tmp_path, tampered)))
    assert "signature does not match" in line


def _write_wire(tmp_path: Path, wire: dict[str, Any]) -> Path:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(wire))
    return path


# -- every read answers with the head: the live stream too (a real server: it never ends) ---
def test_the_live_stream_answers_with_the_head(tmp_path: Path, servers: list[Server]) -> None:
    server = Server(f"sqlite:///{tmp_path / 'live.db'}", tmp_path).start()
    servers.append(server)
    made = server.register(["fra"], [T])
    with httpx.Client(timeout=10) as client, \
            client.stream("GET", f"{server.base}/api/live", params={"after": 0}) as answer:
        assert answer.status_code == 200
        assert answer.headers["x-stanceline-head"] == str(made)


def test_a_deep_verify_lets_appends_go_on_and_sees_one_snapshot(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An append made while `--deep` rebuilds commits at once (a writer never waits for it:
    PostgreSQL's lock timeout is 1 s here, so waiting would be a `Busy`), and the comparison
    is of one snapshot: neither side sees that append, so it reports no difference."""
    from stanceline.store import verify

    made = Service.open(Settings(database_url=url, load_seed=False, pg_lock_timeout=1))
    rebuild = verify.rebuild_projections
    appended: list[int] = []

    def rebuild_while_appending(conn: sa.Connection, dialect: Any) -> None:
        rebuild(conn, dialect)
        answer = made.store.append([stance("fra", T, "undecided", "2025-07-01")])
        appended.append(answer[0].position)

    monkeypatch.setattr(verify, "rebuild_projections", rebuild_while_appending)
    try:
        before = made.store.head()
        report = made.verify(deep=True)
        assert appended == [before + 1] and report.ok and report.events == before, report
        monkeypatch.undo()
        assert made.verify(deep=True).ok and made.store.head() == before + 1
    finally:
        made.close()
