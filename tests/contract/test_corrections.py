"""Issue 14.8: corrections are constrained and their meaning is defined, on every store.

A retraction is final (retracting one is refused, with how to restore instead); an event is
voided once; `supersedes` never points at itself, at nothing, or round a cycle; and a void goes
on its target's stream, so an `expect` on that stream notices it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from stanceline.domain.events import PreparedEvent
from stanceline.errors import InvalidInput, VersionConflict
from stanceline.store.base import EventStore
from tests.conftest import event, stance

T = "troops-in-ukraine"
DAY = date(2025, 6, 1)


def retraction(target: str, **fields: Any) -> PreparedEvent:
    return event("event.retracted", data={"target": target, "reason": "test"}, **fields)


def refused(store: EventStore, batch: list[PreparedEvent], match: str) -> None:
    """The batch is a 422 naming `match`, and the log is as it was."""
    head = store.head()
    with pytest.raises(InvalidInput, match=match):
        store.append(batch)
    assert store.head() == head


def test_retracting_a_retraction_is_refused_with_how_to_restore(store: EventStore) -> None:
    original = stance("pol", T, "opposes", "2025-02-01")
    undo = retraction(original.id)
    store.append([original])
    store.append([undo])
    refused(store, [retraction(undo.id)], "a retraction is final: to restore the event it "
            "retracted, append that event's content again under a new id")
    refused(store, [stance("pol", T, "supports", "2025-02-01", supersedes=undo.id)],
            "is a retraction")
    # Restoring is re-appending the content under a new id: it counts again.
    assert store.stance("pol", T, DAY).stance == "unknown"
    store.append([stance("pol", T, "opposes", "2025-02-01")])
    assert store.stance("pol", T, DAY).stance == "opposes"


def test_an_event_is_voided_once(store: EventStore) -> None:
    first = stance("pol", T, "opposes", "2025-02-01")
    store.append([first])
    once = retraction(first.id)
    store.append([once])
    refused(store, [retraction(first.id)], f"already retracted by {once.id}")
    refused(store, [stance("pol", T, "supports", "2025-02-01", supersedes=first.id)],
            "already retracted")
    # Twice inside one batch, too.
    second = stance("pol", T, "supports", "2025-03-01")
    store.append([second])
    refused(store, [retraction(second.id), retraction(second.id)], "already retracted")
    fix = stance("pol", T, "undecided", "2025-03-01", supersedes=second.id)
    store.append([fix])
    refused(store, [stance("pol", T, "opposes", "2025-03-01", supersedes=second.id)],
            f"already superseded by {fix.id}: an event is voided once; retract or correct")


def test_supersedes_never_points_at_itself_nothing_or_round_a_cycle(store: EventStore) -> None:
    own = str(uuid.uuid4())
    refused(store, [stance("pol", T, "opposes", "2025", id=own, supersedes=own)], "itself")
    refused(store, [retraction(own, id=own)], "itself")
    refused(store, [stance("pol", T, "opposes", "2025", supersedes=str(uuid.uuid4()))],
            "no event with id")
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    refused(store, [stance("pol", T, "opposes", "2025", id=a, supersedes=b),
                    stance("pol", T, "supports", "2025", id=b, supersedes=a)], "cycle")
    c = str(uuid.uuid4())
    refused(store, [stance("pol", T, "opposes", "2025", id=a, supersedes=b),
                    stance("pol", T, "supports", "2025", id=b, supersedes=c),
                    stance("pol", T, "undecided", "2025", id=c, supersedes=a)], "cycle")
    original = stance("pol", T, "opposes", "2025")
    store.append([original])
    refused(store, [retraction(original.id, supersedes=original.id)], "cannot also supersede")


def test_a_chain_of_corrections_and_its_retraction(store: EventStore) -> None:
    """a, then b corrects a, then c corrects b: c decides. Retracting c withdraws c; a and b
    stay void (a void is never undone), so nothing counts until a new event is appended."""
    a = stance("pol", T, "opposes", "2025-02-01")
    b = stance("pol", T, "conditional", "2025-02-01", supersedes=a.id)
    store.append([a, b])
    c = stance("pol", T, "supports", "2025-02-01", supersedes=b.id)
    store.append([c])
    assert store.stance("pol", T, DAY).stance == "supports"
    store.append([retraction(c.id)])
    assert store.stance("pol", T, DAY).stance == "unknown"
    assert set(store.voids([a.id, b.id, c.id])) == {a.id, b.id, c.id}


def test_a_void_is_a_change_to_its_targets_stream(store: EventStore) -> None:
    declared = stance("pol", T, "opposes", "2025-02-01")
    [appended] = store.append([declared])
    read = appended.version  # what a writer read of `actor:pol`
    assert appended.stream == "actor:pol"
    # Someone else retracts Poland's stance: the retraction goes on `actor:pol`...
    undo = retraction(declared.id)
    [done] = store.append([undo])
    assert (done.stream, done.version) == ("actor:pol", read + 1)
    # ...so the writer, expecting the version it read, is told the stream moved on.
    with pytest.raises(VersionConflict):
        store.append([stance("pol", T, "supports", "2025-03-01")], expect={"actor:pol": read})
    store.append([stance("pol", T, "supports", "2025-03-01")],
                 expect={"actor:pol": read + 1})
    # A retried retraction is answered with the original result.
    [again] = store.append([undo])
    assert (again.position, again.stream, again.replayed) == (done.position, "actor:pol", True)


def test_a_void_on_another_stream_is_refused(store: EventStore) -> None:
    declared = stance("pol", T, "opposes", "2025-02-01")
    store.append([declared])
    refused(store, [retraction(declared.id, stream="elsewhere")],
            "goes on its target's stream")
    refused(store, [stance("deu", T, "opposes", "2025-02-01", supersedes=declared.id)],
            "on stream 'actor:pol'")
    # Inside one batch the target's stream is known from the batch itself.
    fresh = stance("fra", T, "supports", "2025-02-01")
    [_, placed] = store.append([fresh, retraction(fresh.id)])
    assert placed.stream == "actor:fra"
