"""PostgreSQL sessions are bounded: one idle inside a transaction (an orphan holding the append
lock) is ended by the server, and a writer waiting on a lock gives up with a 503, not for
ever."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.domain.events import EVENT_IN
from stanceline.service import Service
from stanceline.store.dialect import APPEND_LOCK_KEY
from stanceline.store.sql import SqlEventStore

pytestmark = pytest.mark.postgres


def statement() -> dict[str, Any]:
    """An event that names nothing that must be registered first."""
    return {"id": str(uuid.uuid4()), "type": "topic.defined",
            "data": {"topic": f"t-{uuid.uuid4().hex[:8]}", "title": "A topic"}}


def holder(url: str, **limits: float) -> Any:
    """A session of the store's own engine that takes the append lock and then idles."""
    settings = Settings(database_url=url, load_seed=False, **limits)
    store = Service.open(settings).store
    assert isinstance(store, SqlEventStore)
    conn = store.engine.raw_connection()
    cursor = conn.cursor()
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK_KEY,))
    return store, conn


def test_the_sessions_carry_the_limits(pg_url: str) -> None:
    service = Service.open(Settings(database_url=pg_url, load_seed=False))
    store = service.store
    assert isinstance(store, SqlEventStore)
    with store.engine.connect() as conn:
        shown = {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in
                 ("idle_in_transaction_session_timeout", "lock_timeout", "search_path")}
    # The URL's own options (the test schema's search_path) are kept alongside.
    assert shown["idle_in_transaction_session_timeout"] == "5s"
    assert shown["lock_timeout"] == "10s"
    assert str(shown["search_path"]).startswith("t_")
    service.close()


def test_an_idle_holder_of_the_append_lock_is_ended(pg_url: str) -> None:
    store, conn = holder(pg_url, pg_idle_in_transaction_timeout=1.0)
    writer = Service.open(Settings(database_url=pg_url, load_seed=False))
    try:
        started = time.monotonic()
        assert writer.append([EVENT_IN.validate_python(statement())])
        assert time.monotonic() - started < 10
    finally:
        writer.close()
        # The server has ended this session: drop it rather than return it to the pool.
        conn.invalidate()
        store.close()


def test_a_writer_that_waits_too_long_for_the_lock_is_a_503(pg_url: str) -> None:
    store, conn = holder(pg_url, pg_idle_in_transaction_timeout=0)
    app = create_app(Settings(database_url=pg_url, load_seed=False, pg_lock_timeout=1.0))
    try:
        with TestClient(app) as client:
            started = time.monotonic()
            answer = client.post("/api/events", json={"events": [statement()]})
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"] == "Busy" and "retry" in answer.json()["detail"]
            assert time.monotonic() - started < 5
            conn.rollback()
            assert client.post("/api/events", json={"events": [statement()]}).status_code == 201
    finally:
        conn.close()
        store.close()
