"""Every store (issue 14.1, 14.2): `verify(deep=True)` passes on an untouched log, and
`checkpoint` signs the head once, follows it, and comes before every later append."""

from __future__ import annotations

from dataclasses import replace

from stanceline.domain.checkpoint import Signer, check_signature
from stanceline.store.base import EventStore
from stanceline.store.memory import InMemoryStore
from tests.conftest import event, registry, stance

KEY = Signer.generate()


def test_an_untouched_log_verifies_deep(store: EventStore) -> None:
    store.append([*registry(["aaa"], ["t"]), stance("aaa", "t", "supports", "2025-01")])
    retract = store.append([stance("aaa", "t", "opposes", "2025-02")])[0]
    store.append([event("event.retracted", data={"target": retract.id, "reason": "typo"})])
    report = store.verify(deep=True)
    assert report.ok and report.events == store.head() and report.table is None


def test_a_checkpoint_signs_the_head_once_and_follows_it(store: EventStore) -> None:
    first = store.checkpoint(KEY)
    assert (first.position, first.public_key) == (store.head(), KEY.public_key)
    check_signature(first, KEY.public_key)
    assert store.checkpoint(KEY) == first
    appended = store.append([*registry(["aaa"], ["t"])])
    assert min(a.recorded_at for a in appended) >= first.signed_at
    moved = store.checkpoint(KEY)
    assert moved.position == first.position + 2 and moved.hash == store.verify().head
    other = Signer.generate()
    theirs = store.checkpoint(other)
    assert theirs.public_key == other.public_key and theirs.position == moved.position
    assert store.checkpoint(KEY) == moved


def test_the_memory_store_checks_the_derived_columns_too() -> None:
    store = InMemoryStore()
    store.append([*registry(["aaa", "bbb"], ["t"]), stance("aaa", "t", "supports", "2025")])
    store._events[-1] = replace(store._events[-1], actor="bbb")
    report = store.verify()
    assert not report.ok and report.column == "actor" and report.broken_at == 4
