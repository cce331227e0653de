"""`voids`: which events were retracted or superseded, by which event and from when, as known
at a time; one set-wise read, the same on every store (issue 11.5)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from stanceline.errors import InvalidInput
from stanceline.store.base import EventStore
from tests.conftest import event, registry, stance

T = "troops-in-ukraine"


def test_voids_name_the_voiding_event_and_its_time(store: EventStore) -> None:
    first = stance("fra", T, "supports", "2024-02-10")
    second = stance("pol", T, "opposes", "2024-02-11")
    kept = stance("deu", T, "opposes", "2024-02-12")
    store.append([first, second, kept])
    before = store.get(kept.id)
    assert before is not None
    time.sleep(0.01)
    retraction = event("event.retracted", data={"target": first.id, "reason": "misread"})
    correction = stance("pol", T, "undecided", "2024-02-11", supersedes=second.id)
    again = event("event.retracted", data={"target": first.id, "reason": "twice"})
    store.append([retraction, correction])
    # A second retraction of the same event is refused: an event is voided once.
    with pytest.raises(InvalidInput, match="already retracted"):
        store.append([again])
    found = store.voids([first.id, second.id, kept.id, str(uuid.uuid4())])
    assert set(found) == {first.id, second.id}
    by_retraction, by_correction = found[first.id], found[second.id]
    assert (by_retraction.by, by_retraction.retraction) == (retraction.id, True)
    assert (by_correction.by, by_correction.retraction) == (correction.id, False)
    recorded = store.get(retraction.id)
    assert recorded is not None and by_retraction.at == recorded.recorded_at
    # As known before the retraction was recorded, nothing was void.
    assert store.voids([first.id, second.id], before.recorded_at) == {}
    assert set(store.voids([first.id], recorded.recorded_at)) == {first.id}
    assert store.voids([first.id], recorded.recorded_at - timedelta(microseconds=1)) == {}
    assert store.voids([]) == {}


def test_voids_are_read_set_wise_for_many_ids(store: EventStore) -> None:
    batch = [stance(f"a{i}", T, "supports", "2024-01-01") for i in range(1_200)]
    store.append(registry([f"a{i}" for i in range(1_200)]))
    store.append(batch)
    store.append([event("event.retracted", data={"target": e.id, "reason": "x"})
                  for e in batch[::100]])
    found = store.voids([e.id for e in batch])
    assert set(found) == {e.id for e in batch[::100]}
