"""Concurrent appends share commits, and each one still stands or falls on its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from stanceline.domain.append import Appended
from stanceline.domain.events import PreparedEvent
from stanceline.errors import InvalidInput, StancelineError, VersionConflict
from stanceline.store.base import EventFilter, EventStore
from stanceline.store.sql import SqlEventStore
from tests.conftest import event, stance, with_directory

WRITERS = 16
DOCUMENT = "group-doc"
TEXT = "The minister said the troops would stay home."


def request(n: int) -> tuple[list[PreparedEvent], dict[str, int] | None, type | None]:
    """Writer n's batch, its `expect`, and the error it must get (None: it lands)."""
    source = {"document": DOCUMENT, "quote": "the troops would stay home"}
    if n % 4 == 1:  # a stale `expect`
        return [stance("fra", "troops-in-ukraine", "supports", "2025-03-01",
                       stream=f"writer-{n}")], {f"writer-{n}": 7}, VersionConflict
    if n % 4 == 2:  # an unregistered actor
        return [stance("nobody", "troops-in-ukraine", "opposes", "2025-03-01")], None, \
            InvalidInput
    if n % 8 == 3:  # a misquote of a registered document
        return [event(data={"actor": "fra", "topic": "troops-in-ukraine", "stance": "opposes"},
                      source={**source, "quote": "the troops would go"})], None, InvalidInput
    return [event(data={"actor": "fra", "topic": "troops-in-ukraine", "stance": "supports",
                        "summary": f"writer {n}"}, source=source)], None, None


@contextmanager
def log_held(store: EventStore) -> Iterator[None]:
    """Hold the log's write lock (as another writer would) until the block ends, so that
    every writer started meanwhile is waiting when it is released."""
    if not isinstance(store, SqlEventStore):
        yield
        return
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store._write():
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(30)
    try:
        yield
    finally:
        release.set()
        holder.join()


def wait_for(predicate: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the writers never all queued"
        time.sleep(0.01)


@pytest.mark.parametrize("writers", [WRITERS, 40])
def test_concurrent_appends_share_commits_and_fail_alone(store: EventStore, writers: int
                                                         ) -> None:
    """16 writers fit one batch; 40 are more than a batch takes (32): the rest wait their
    turn, and whoever leads may commit others' requests and not its own."""
    store.append([event("document.registered", data={"document": DOCUMENT, "title": "Doc",
                                                      "text": TEXT})])
    start = store.head()
    commits: list[int] = []
    if isinstance(store, SqlEventStore):
        sa.event.listen(store.engine, "commit", lambda conn: commits.append(1))
    answers: dict[int, list[Appended] | BaseException] = {}
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        batch, expect, _ = request(n)
        barrier.wait()
        try:
            answers[n] = store.append(batch, expect)
        except StancelineError as exc:
            answers[n] = exc

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    arrived = store.group.arrived if isinstance(store, SqlEventStore) else 0
    with log_held(store):
        for t in threads:
            t.start()
        if isinstance(store, SqlEventStore):
            # Every writer has arrived: the first leader waits for the lock, the rest queue.
            wait_for(lambda: store.group.arrived - arrived == writers)
    for t in threads:
        t.join()

    for n in range(writers):
        expected = request(n)[2]
        if expected is None:
            assert isinstance(answers[n], list), (n, answers[n])
        else:
            assert isinstance(answers[n], expected), (n, answers[n])
    landed = {a[0].position: n for n, a in answers.items() if isinstance(a, list)}
    good = [n for n in range(writers) if request(n)[2] is None]
    # Every good writer landed, at gap-free positions after the start, nothing else did.
    assert sorted(landed) == list(range(start + 1, start + len(good) + 1))
    assert sorted(landed.values()) == good
    stored = store.read(EventFilter(after=start))
    assert [e.position for e in stored] == sorted(landed)
    assert all(e.data.get("summary") == f"writer {landed[e.position]}" for e in stored)
    assert all(e.source is not None and e.source["verified"] for e in stored)
    assert store.verify().ok
    if isinstance(store, SqlEventStore):
        # The writers' transactions: far fewer commits than requests (the holder's is one).
        batches = -(-writers // 32)
        assert 1 + batches <= len(commits) <= 2 + batches, commits
        assert store.group.commits < writers


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlEventStore]:
    """The SQL stores only: the group commit is theirs."""
    url = (f"sqlite:///{tmp_path / 'group.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    made = SqlEventStore(url)
    with_directory(made)
    yield made
    made.close()


def test_a_lone_append_does_not_wait_for_company(sql_store: SqlEventStore) -> None:
    store = sql_store
    before = (store.group.commits, store.group.requests)
    for n in range(3):
        store.append([stance("fra", "troops-in-ukraine", "opposes", f"2025-04-0{n + 1}")])
    # One commit per append when they come one after the other.
    assert (store.group.commits - before[0], store.group.requests - before[1]) == (3, 3)
