"""Issue 14.3 on PostgreSQL: a role that can switch the triggers off is warned about at start
and reported by `verify`; the service runs as a role that cannot (README, PostgreSQL), and then
appends and reads work, no warning is logged, and the guards hold against it."""

from __future__ import annotations

import logging
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from stanceline.api.app import create_app
from stanceline.cli import app as cli
from stanceline.config import Settings
from stanceline.domain.checkpoint import Checkpoint, Signer
from stanceline.service import Service
from stanceline.store.projections import PROJECTIONS
from stanceline.store.sql import SqlEventStore
from tests.api.conftest import stance_json
from tests.conftest import DIRECTORY_SIZE, directory_events, require_pg, stance

pytestmark = pytest.mark.postgres

WARNING = "the append-only guards can be switched off"


def _url(base: str, schema: str, role: str | None = None) -> str:
    url = sa.engine.make_url(base)
    if role is not None:
        url = url.set(username=role, password=None)
    joiner = "&" if "?" in str(url) else "?"
    return (f"{url.render_as_string(hide_password=False)}{joiner}"
            f"options=-csearch_path%3D{schema}")


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def roles() -> Iterator[tuple[str, str]]:
    """(owner URL, app URL): the tables created by the owner (here the superuser), and a
    login role granted only what the service needs, as the README shows."""
    base = require_pg()
    schema, role = f"r_{uuid.uuid4().hex[:10]}", f"stanceline_app_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    owner = _url(base, schema)
    # `stanceline migrate`, then `stanceline grant`, as the owner (here the superuser).
    store = SqlEventStore(owner)
    granted = store.grant_app(role)
    store.close()
    assert all(f'"{t.name}"' in granted[-1] or f".{t.name}" in granted[-1]
               for p in PROJECTIONS for t in p.tables), granted
    try:
        yield owner, _url(base, schema, role)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_the_service_runs_as_a_role_that_cannot_disable_triggers(
        roles: tuple[str, str], caplog: pytest.LogCaptureFixture) -> None:
    _owner, app_url = roles
    settings = Settings(database_url=app_url, load_seed=False)
    with caplog.at_level(logging.WARNING, logger="stanceline"), \
            TestClient(create_app(settings)) as client:
        posted = client.post("/api/events", json={"events": [
            {"type": "actor.registered", "data": {"actor": "fra", "name": "France",
                                                  "kind": "country"}},
            {"type": "topic.defined", "data": {"topic": "troops-in-ukraine",
                                               "title": "Troops in Ukraine"}}]})
        assert posted.status_code == 201, posted.text
        first = str(uuid.uuid4())
        assert client.post("/api/events", json={"events": [
            stance_json("fra", "opposes", id=first)]}).status_code == 201
        assert client.post("/api/events", json={"events": [
            {"type": "event.retracted", "data": {"target": first, "reason": "misread"}},
            stance_json("fra", "supports", "2024-03")]}).status_code == 201
        got = client.get("/api/stances", params={"actor": "fra", "as_of": "2025-01-01"})
        assert got.status_code == 200
        assert [s["stance"] for s in got.json()["stances"]] == ["supports"]
        assert client.get("/api/verify").json()["ok"] is True
    assert not [r for r in caplog.records if WARNING in r.getMessage()]
    verified = CliRunner().invoke(cli, ["verify", "-d", app_url])
    assert verified.exit_code == 0 and WARNING not in verified.output
    assert verified.output.startswith("ok: 5 events")
    # And the guards bind it: it can neither rewrite the log nor switch them off.
    store = SqlEventStore(app_url, migrate=False)
    try:
        assert store.guard_bypass() is None
        for statement in ("UPDATE events SET data = '{}'", "DELETE FROM events",
                          "ALTER TABLE events DISABLE TRIGGER ALL",
                          "SET session_replication_role = replica", "TRUNCATE events"):
            with pytest.raises(DatabaseError), store.engine.begin() as conn:
                conn.exec_driver_sql(statement)
        assert store.verify().ok and store.head() == 5
    finally:
        store.close()


def test_a_role_that_can_disable_triggers_is_warned_about_and_reported(
        roles: tuple[str, str], caplog: pytest.LogCaptureFixture) -> None:
    owner, _app_url = roles
    with caplog.at_level(logging.WARNING, logger="stanceline"), \
            TestClient(create_app(Settings(database_url=owner, load_seed=False))):
        pass
    warned = [r.getMessage() for r in caplog.records if WARNING in r.getMessage()]
    assert len(warned) == 1 and "superuser" in warned[0]
    verified = CliRunner().invoke(cli, ["verify", "-d", owner])
    assert verified.exit_code == 0
    assert WARNING in verified.output and "superuser" in verified.output


def test_the_app_role_signs_checkpoints_and_verifies_deep(roles: tuple[str, str]) -> None:
    """With the README's grants: `--deep` (temporary tables, a rebuild rolled back) and a
    signed checkpoint work as the app role, and `verify --against` proves the log extends it."""
    _owner, app_url = roles
    key = Signer.generate()
    settings = Settings(database_url=app_url, load_seed=False,
                        signing_key=SecretStr(key.private_pem().decode()))
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/events", json={"events": [
            {"type": "actor.registered", "data": {"actor": "fra", "name": "France",
                                                  "kind": "country"}}]}).status_code == 201
        assert client.get("/api/verify", params={"deep": "true"}).json()["ok"] is True
        signed = client.get("/api/checkpoint")
        assert signed.status_code == 200, signed.text
        report = client.app.state.service.verify_against(  # type: ignore[attr-defined]
            Checkpoint.of(signed.json()), key.public_key)
        assert report.ok and report.events == 1


def test_the_compose_init_script_gives_an_owner_and_an_app_role_that_cannot_bypass(
        tmp_path: Path) -> None:
    """deploy/postgres-init.sql as the compose `db` runs it (psql, as the superuser), then the
    `migrate` service's `stanceline migrate && stanceline grant stanceline_app` as the owner:
    the service's role appends and reads, and cannot switch the guards off."""
    base = require_pg()
    tag = uuid.uuid4().hex[:8]
    owner, app_role, database = f"owner_{tag}", f"app_{tag}", f"stanceline_{tag}"
    script = ((ROOT / "deploy" / "postgres-init.sql").read_text(encoding="utf-8")
              .replace("stanceline_owner", owner).replace("stanceline_app", app_role)
              .replace("DATABASE stanceline ", f"DATABASE {database} ")
              .replace("\\connect stanceline", f"\\connect {database}"))
    (tmp_path / "init.sql").write_text(script, encoding="utf-8")
    server = sa.make_url(base)
    psql = ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", server.host or "127.0.0.1",
            "-p", str(server.port or 5432), "-U", server.username or "postgres",
            "-d", server.database or "postgres", "-f", str(tmp_path / "init.sql")]
    subprocess.run(psql, check=True, capture_output=True)
    as_owner = str(server.set(username=owner, password=None, database=database))
    as_app = str(server.set(username=app_role, password=None, database=database))
    try:
        runner = CliRunner()
        for args in (["migrate", "--database", as_owner],
                     ["grant", app_role, "--database", as_owner]):
            done = runner.invoke(cli, args)
            assert done.exit_code == 0, done.output
        service = Service.open(Settings(database_url=as_app, load_seed=False))
        try:
            assert service.guard_bypass() is None
            service.store.append(directory_events())
            service.store.append([stance("fra", "troops-in-ukraine", "opposes", "2025-04-01")])
            assert service.verify().ok and service.head() == DIRECTORY_SIZE + 1
        finally:
            service.close()
    finally:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {app_role}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {owner}")
        admin.dispose()
