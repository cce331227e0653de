"""The contract every store keeps: in-memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools
import threading
import uuid
from datetime import date

import pytest

from stanceline.domain.chain import GENESIS
from stanceline.errors import IdConflict, InvalidInput, VersionConflict
from stanceline.store.base import EventFilter, EventStore
from tests.conftest import event, registry, stance, tamper

# What these tests name, registered first: the log's own positions start after them.
NAMES = registry(actors=["fra", "deu", "pol", "gbr", "ukr", "emmanuel-macron",
                         "volodymyr-zelenskyy"] + [f"a{n}" for n in range(8)],
                 topics=["t", "troops-in-ukraine", "ceasefire"])
BASE = len(NAMES)


@pytest.fixture
def store(bare_store: EventStore) -> EventStore:
    """Each store, with only the names these tests use registered."""
    answer = bare_store.append(NAMES)
    NAMES_HEAD[:] = [answer[-1].hash]
    return bare_store


NAMES_HEAD = [GENESIS]


def test_append_and_read_back_every_envelope_field(store: EventStore) -> None:
    sent = event(
        "stance.declared", occurred=None, occurred_text="last February",
        relative_to="2025-01-28", disputed=True, note="garbled in the source",
        data={"actor": "fra", "topic": "troops-in-ukraine", "stance": "conditional",
              "conditions": [{"on": "ceasefire", "text": "a ceasefire"}],
              "speaker": "emmanuel-macron", "summary": "Zoé"},
        source={"document": "004_c95673309f0d515a", "url": "https://example.org/a",
                "publisher": "Example", "published": "2025-01", "quote": "floated “troops”"},
    )
    [appended] = store.append([sent])
    got = store.get(sent.id)
    assert got is not None
    assert (got.position, got.stream, got.version) == (BASE + 1, "actor:fra", 1)
    assert appended.position == BASE + 1 and appended.hash == got.hash
    assert got.occurred == "2024-02" and got.precision == "month"
    assert str(got.occurred_start) == "2024-02-01" and str(got.occurred_end) == "2024-02-29"
    assert got.occurred_text == "last February" and got.relative_to == "2025-01-28"
    assert got.data["conditions"] == [{"on": "ceasefire", "text": "a ceasefire"}]
    assert got.data["summary"] == "Zoé"
    assert got.source is not None and got.source["quote"] == "floated “troops”"
    assert got.disputed is True and got.note == "garbled in the source"
    assert got.prev_hash == NAMES_HEAD[0] and got.schema_version == 2
    assert got.recorded_at.tzinfo is not None
    assert got.recorded_at == appended.recorded_at
    assert store.head() == BASE + 1
    assert store.read(EventFilter(after=BASE)) == [got]


def test_streams_are_versioned_from_one(store: EventStore) -> None:
    store.append([stance("fra", "t", "supports", "2024"), stance("deu", "t", "opposes", "2024"),
                  stance("fra", "t", "opposes", "2025")])
    got = [(e.stream, e.version) for e in store.read(EventFilter(after=BASE))]
    assert got == [("actor:fra", 1), ("actor:deu", 1), ("actor:fra", 2)]


def test_expect_mismatch_is_a_version_conflict_and_stores_nothing(store: EventStore) -> None:
    store.append([stance("fra", "t", "supports", "2024")])
    with pytest.raises(VersionConflict, match="at version 1, expected 0"):
        store.append([stance("fra", "t", "opposes", "2025")], expect={"actor:fra": 0})
    assert store.head() == BASE + 1
    store.append([stance("fra", "t", "opposes", "2025")], expect={"actor:fra": 1})
    assert store.head() == BASE + 2


def test_expect_zero_means_a_new_stream(store: EventStore) -> None:
    store.append([stance("pol", "t", "opposes", "2025")], expect={"actor:pol": 0})
    with pytest.raises(VersionConflict):
        store.append([stance("pol", "t", "opposes", "2025")], expect={"actor:pol": 0})


def test_replay_by_id_answers_the_original_and_stores_nothing_twice(store: EventStore) -> None:
    batch = [stance("fra", "t", "supports", "2024"), stance("deu", "t", "opposes", "2024")]
    first = store.append(batch)
    again = store.append(batch)
    assert again == first
    assert [a.recorded_at for a in again] == [a.recorded_at for a in first]
    assert store.head() == BASE + 2
    # A replay whose expect no longer holds is still the original answer.
    assert store.append(batch, expect={"actor:fra": 0}) == first


def test_repeated_id_inside_one_batch_is_stored_once(store: EventStore) -> None:
    one = stance("fra", "t", "supports", "2024")
    answer = store.append([one, one, stance("deu", "t", "opposes", "2024")])
    assert [a.position for a in answer] == [BASE + 1, BASE + 2]
    assert store.head() == BASE + 2


def test_reused_id_with_other_content_is_refused(store: EventStore) -> None:
    shared = str(uuid.uuid4())
    store.append([stance("fra", "t", "supports", "2024", id=shared)])
    with pytest.raises(IdConflict):
        store.append([stance("fra", "t", "opposes", "2024", id=shared)])
    with pytest.raises(IdConflict):
        other = str(uuid.uuid4())
        store.append([stance("fra", "t", "supports", "2024", id=other),
                      stance("fra", "t", "opposes", "2024", id=other)])
    assert store.head() == BASE + 1


def test_a_batch_is_atomic(store: EventStore) -> None:
    good = stance("fra", "t", "supports", "2024")
    bad = event("event.retracted", data={"target": str(uuid.uuid4()), "reason": "x"})
    with pytest.raises(InvalidInput, match="to retract or supersede"):
        store.append([good, bad])
    assert store.head() == BASE + 0
    assert store.get(good.id) is None
    assert store.verify().ok


def test_partial_replay_appends_only_the_new_events(store: EventStore) -> None:
    old = stance("fra", "t", "supports", "2024")
    store.append([old])
    new = stance("deu", "t", "opposes", "2024")
    answer = store.append([old, new])
    assert [a.position for a in answer] == [BASE + 1, BASE + 2] and store.head() == BASE + 2


def test_read_filters_and_cursor(store: EventStore) -> None:
    store.append([
        stance("fra", "t", "supports", "2024-02"),
        stance("deu", "t", "opposes", "2025-01-20"),
        event("meeting.held", occurred="2025-02-03",
              data={"title": "Retreat", "participants": ["fra", "gbr"]}),
        event("claim.made", occurred="2025",
              data={"actor": "ukr", "subject": "force-size", "value": 200000,
                    "speaker": "volodymyr-zelenskyy"}),
    ])
    def read(**flt: object) -> list[int]:
        # The log's own events, numbered from 1 after the registrations.
        return [e.position - BASE for e in store.read(EventFilter(**flt))  # type: ignore[arg-type]
                if e.position > BASE]

    assert read(actor="fra") == [1, 3]
    assert read(actor="volodymyr-zelenskyy") == [4]
    assert read(topic="t") == [1, 2]
    assert read(type="meeting.held") == [3]
    assert read(occurred_from=date(2025, 1, 1), occurred_to=date(2025, 1, 31)) == [2, 4]
    assert read(after=BASE + 1, limit=2) == [2, 3]
    first = store.get(store.read(EventFilter(after=BASE, limit=1))[0].id)
    assert first is not None
    assert store.read(EventFilter(after=BASE, known_at=first.recorded_at))[0].position == \
        BASE + 1


def test_hash_chain_verifies(store: EventStore) -> None:
    for year in range(2020, 2026):
        store.append([stance("fra", "t", "supports", str(year))])
    report = store.verify()
    assert report.ok and report.events == BASE + 6
    events = list(store.iter_all())
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert report.head == events[-1].hash


@pytest.mark.parametrize("how", ["update", "delete"])
def test_a_row_changed_behind_the_stores_back_is_found(store: EventStore, how: str) -> None:
    for year in range(2020, 2025):
        store.append([stance("fra", "t", "supports", str(year))])
    tamper(store, BASE + 3, how)
    report = store.verify()
    assert not report.ok and report.broken_at == BASE + 3
    assert report.events == BASE + 2


def test_positions_are_gap_free_in_commit_order_under_8_writers(store: EventStore) -> None:
    writers, each = 8, 25
    seen: list[int] = []
    done = threading.Event()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(each):
                store.append([stance(f"a{n}", "t", "supports", str(2000 + i))])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def follow() -> None:
        # A reader following positions must never see a later position before an earlier one.
        after = BASE
        while True:
            finished = done.is_set()
            for e in store.read(EventFilter(after=after, limit=1000)):
                seen.append(e.position)
                after = e.position
            if finished:
                return

    reader = threading.Thread(target=follow)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    assert not errors
    total = writers * each
    assert seen == list(range(BASE + 1, BASE + total + 1))
    assert store.head() == BASE + total
    assert store.verify().ok
    versions = {}
    for e in store.iter_all(after=BASE):
        versions.setdefault(e.stream, []).append(e.version)
    assert all(v == list(range(1, each + 1)) for v in versions.values())


def test_unknown_event_is_none(bare_store: EventStore) -> None:
    assert bare_store.get(str(uuid.uuid4())) is None
    assert bare_store.head() == 0
    assert bare_store.verify().ok and bare_store.verify().events == 0
