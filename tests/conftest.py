"""Shared fixtures: the three stores, a PostgreSQL schema per test, event builders."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from stanceline.domain.events import EVENT_IN, PreparedEvent, prepare
from stanceline.store.base import EventStore
from stanceline.store.memory import InMemoryStore
from stanceline.store.sql import SqlEventStore

PG_ENV = "STANCELINE_TEST_DATABASE_URL"
ROOT = Path(__file__).resolve().parents[1]


def pg_base_url() -> str | None:
    """The PostgreSQL server the tests may use, if any."""
    return os.environ.get(PG_ENV) or None


def _with_schema(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


def require_pg() -> str:
    """The PostgreSQL URL, or skip (fail where CI requires PostgreSQL) with a clear reason."""
    base = pg_base_url()
    if base is None:
        if os.environ.get("STANCELINE_REQUIRE_POSTGRES"):
            pytest.fail(f"STANCELINE_REQUIRE_POSTGRES is set but {PG_ENV} is not")
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. "
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return base


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose connections work in a fresh, private PostgreSQL schema (dropped after)."""
    base = require_pg()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield _with_schema(base, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'stanceline.db'}"


DIRECTORY_FILES = (ROOT / "events" / "actors.jsonl", ROOT / "events" / "topics.jsonl")


def directory_events() -> list[PreparedEvent]:
    """The curated actors and topics (every reference must be registered before use)."""
    return [prepare(EVENT_IN.validate_json(line)) for path in DIRECTORY_FILES
            for line in path.read_bytes().splitlines() if line.strip()]


DIRECTORY_SIZE = len(directory_events())


def with_directory(store: EventStore) -> EventStore:
    """A store whose log starts with the curated directory (positions 1..DIRECTORY_SIZE)."""
    store.append(directory_events())
    return store


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bare_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    """Each store in turn, empty."""
    made: EventStore
    if request.param == "memory":
        made = InMemoryStore()
    elif request.param == "sqlite":
        made = SqlEventStore(f"sqlite:///{tmp_path / 'contract.db'}")
    else:
        made = SqlEventStore(request.getfixturevalue("pg_url"))
    yield made
    made.close()


@pytest.fixture
def store(bare_store: EventStore) -> EventStore:
    """Each store in turn, with the curated directory registered: the contract suite runs
    against all three."""
    return with_directory(bare_store)


def event(type_: str = "stance.declared", *, occurred: str | None = "2025-02-03",
          id: str | None = None, **fields: Any) -> PreparedEvent:
    """A prepared event with sensible defaults; `data=` replaces the payload."""
    payloads: dict[str, dict[str, Any]] = {
        "stance.declared": {"actor": "fra", "topic": "troops-in-ukraine", "stance": "supports"},
        "claim.made": {"actor": "ukr", "subject": "force-size", "value": 200000,
                       "unit": "troops"},
        "statement.made": {"actor": "rus", "summary": "unacceptable"},
        "meeting.held": {"title": "Retreat", "participants": ["gbr", "nato"]},
        "actor.registered": {"actor": "gbr", "name": "United Kingdom", "kind": "country"},
        "topic.defined": {"topic": "troops-in-ukraine", "title": "Troops in Ukraine"},
        "event.retracted": {"target": "?", "reason": "mistake"},
    }
    raw: dict[str, Any] = {"type": type_,
                           "data": fields.pop("data") if "data" in fields else payloads[type_]}
    if type_ not in ("actor.registered", "actor.updated", "topic.defined", "topic.updated",
                     "document.registered", "event.retracted"):
        raw["occurred"] = occurred
        raw["source"] = {"document": "test", "quote": "a quote"}
    if id is not None:
        raw["id"] = id
    raw.update(fields)
    return prepare(EVENT_IN.validate_python(raw))


def stance(actor: str, topic: str, value: str, occurred: str, **fields: Any) -> PreparedEvent:
    """A stance.declared event."""
    return event("stance.declared", occurred=occurred,
                 data={"actor": actor, "topic": topic, "stance": value,
                       **fields.pop("data_extra", {})}, **fields)


def tamper(store: EventStore, position: int, how: str = "update") -> None:
    """Change or remove a row behind the store's back (dropping the guard where needed)."""
    if isinstance(store, InMemoryStore):
        events = store._events
        if how == "delete":
            del events[position - 1]
        else:
            from dataclasses import replace

            events[position - 1] = replace(events[position - 1], data={"forged": True},
                                           data_json='{"forged":true}')
        return
    assert isinstance(store, SqlEventStore)
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER events_no_update_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
            conn.exec_driver_sql("DROP TRIGGER events_no_delete")
        if how == "delete":
            conn.execute(sa.text("DELETE FROM events WHERE position = :p"), {"p": position})
        else:
            conn.execute(sa.text("UPDATE events SET data = :d WHERE position = :p"),
                         {"d": '{"forged":true}', "p": position})


def registry(actors: list[str] = (), topics: list[str] = (),  # type: ignore[assignment]
             kind: str = "country") -> list[PreparedEvent]:
    """Registrations of bare test actors and topics (references must be registered), on a
    stream of their own so the actors' streams start at version 0."""
    made = [event("actor.registered", data={"actor": a, "name": f"Actor {a}", "kind": kind},
                  stream="test-directory") for a in actors]
    made += [event("topic.defined", data={"topic": t, "title": f"Topic {t}"},
                   stream="test-directory") for t in topics]
    return made
