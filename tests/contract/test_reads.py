"""count, buckets and upcasting: the rest of the read contract, on every store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stanceline.domain import upcast
from stanceline.store.base import EventFilter, EventStore
from tests.conftest import event, registry, stance

T = "troops-in-ukraine"
# What these tests name, registered first (gbr is registered by the log under test).
NAMES = registry(["fra", "pol", "rus", "emmanuel-macron"], [T, "air-policing"])
BASE = len(NAMES)


@pytest.fixture
def store(bare_store: EventStore) -> EventStore:
    """Each store, with only the names these tests use registered."""
    bare_store.append(NAMES)
    return bare_store


def _log(store: EventStore) -> None:
    store.append([
        event("actor.registered", data={"actor": "gbr", "name": "United Kingdom",
                                        "kind": "country"}),
        stance("fra", T, "supports", "2024-02-10"),
        stance("fra", T, "supports", "2024-02-20", data_extra={"speaker": "emmanuel-macron"}),
        stance("fra", "air-policing", "opposes", "2024-03"),
        stance("pol", T, "opposes", "2024-02-01"),
        event("meeting.held", occurred="2024-02-15",
              data={"title": "Retreat", "participants": ["fra", "gbr"]}),
        event("statement.made", occurred="2025",
              data={"actor": "rus", "summary": "unacceptable"}),
    ])


def test_count_ignores_cursor_and_limit(store: EventStore) -> None:
    _log(store)
    # The registrations count too: each names its actor (or its topic).
    assert store.count(EventFilter()) == BASE + 7
    assert store.count(EventFilter(after=5, limit=1)) == BASE + 7
    assert store.count(EventFilter(actor="fra")) == 1 + 4
    assert store.count(EventFilter(actor="emmanuel-macron")) == 1 + 1
    assert store.count(EventFilter(topic=T)) == 1 + 3
    assert store.count(EventFilter(type="meeting.held")) == 1
    registered = store.read(EventFilter(limit=1))[0]
    assert store.count(EventFilter(known_at=registered.recorded_at)) == BASE
    first = store.read(EventFilter(after=BASE, limit=1))[0]
    assert store.count(EventFilter(known_at=first.recorded_at)) == BASE + 7
    assert store.count(EventFilter(actor="nobody")) == 0


def test_buckets_count_dated_events_by_lane_month_and_kind(store: EventStore) -> None:
    _log(store)
    assert store.buckets(EventFilter()) == [
        ("", "2024-02", "meeting.held", 1),
        ("fra", "2024-02", "supports", 2),
        ("fra", "2024-03", "opposes", 1),
        ("pol", "2024-02", "opposes", 1),
        ("rus", "2025-01", "statement.made", 1),
    ]
    assert store.buckets(EventFilter(actor="fra", topic=T)) == [("fra", "2024-02", "supports", 2)]
    assert store.buckets(EventFilter(actor="gbr")) == [("", "2024-02", "meeting.held", 1)]
    assert store.buckets(EventFilter(type="claim.made")) == []


@pytest.fixture
def summary_renamed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pretend stance.declared v2 is an old version: v3 renames `summary` to `gist`."""
    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        moved = dict(data)
        moved["gist"] = moved.pop("summary")
        return moved

    monkeypatch.setitem(upcast.UPCASTERS, ("stance.declared", 2), v1_to_v2)
    yield


def test_reads_upcast_old_versions_and_the_log_keeps_them(store: EventStore,
                                                          summary_renamed: None) -> None:
    sent = stance("fra", T, "supports", "2024", data_extra={"summary": "floated"})
    store.append([sent, stance("pol", T, "opposes", "2024")])
    for read in (store.get(sent.id), store.read(EventFilter(after=BASE, limit=1))[0]):
        assert read is not None and read.schema_version == 3
        assert read.data["gist"] == "floated" and "summary" not in read.data
    assert all(e.schema_version == 3
               for e in store.read(EventFilter(actor="pol", type="stance.declared")))
    [change] = store.history("fra", T)
    assert change.evidence[0].id == sent.id
    raw = next(store.iter_all(after=BASE))
    assert raw.schema_version == 2 and raw.data["summary"] == "floated"
    assert store.verify().ok
