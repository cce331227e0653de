"""For random logs, the SQL answers equal the pure fold, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stanceline.domain import projections
from stanceline.domain.events import PreparedEvent
from stanceline.errors import InvalidInput
from stanceline.store.memory import InMemoryStore
from stanceline.store.sql import SqlEventStore
from tests.conftest import event, registry, require_pg, stance

ACTORS = ("fra", "pol")
TOPICS = ("troops", "air")
STANCES = ("supports", "opposes", "conditional", "undecided")


SPEAKERS = (None, None, "macron", "starmer")
PEOPLE = ("macron", "starmer")
CONDITIONS = ({"on": "ceasefire", "text": "a ceasefire"},
              {"on": "us-backstop", "text": "a US backstop"},
              {"on": "un-mandate", "text": "a UN mandate"})


@st.composite
def occurred(draw: st.DrawFn) -> str:
    year = draw(st.integers(2023, 2025))
    precision = draw(st.sampled_from(["day", "day", "month", "year", "open"]))
    if precision == "open":
        # An open start: on or before a day ("previously"), DESIGN §3.
        return f"../{year}-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}"
    if precision == "year":
        return str(year)
    month = draw(st.integers(1, 12))
    if precision == "month":
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{draw(st.integers(1, 28)):02d}"


@st.composite
def batches(draw: st.DrawFn) -> list[list[PreparedEvent]]:
    """A log as batches (each its own recording time), with retraction chains: retractions
    and corrections of what is still live, corrections of corrections, retractions of
    corrections, inside a batch and across batches. Every void keeps the rules of
    `domain.corrections` (each event voided once, never a retraction, on its target's stream).
    """
    live: list[PreparedEvent] = []  # stances no retraction or correction voids yet
    log: list[list[PreparedEvent]] = []
    for _ in range(draw(st.integers(1, 4))):
        batch: list[PreparedEvent] = []
        for _ in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(["stance"] * 6 + ["retract", "supersede"] * 2
                                        + ["claim"]))
            if kind == "retract" and live:
                target = live.pop(draw(st.integers(0, len(live) - 1)))
                batch.append(event("event.retracted",
                                   data={"target": target.id, "reason": "test"}))
                continue
            extra: dict[str, Any] = {}
            actor = draw(st.sampled_from(ACTORS))
            if kind == "supersede" and live:
                # A correction stays on its target's stream: the same actor.
                corrected = live.pop(draw(st.integers(0, len(live) - 1)))
                extra["supersedes"] = corrected.id
                actor = str(corrected.actor)
            if kind == "claim":
                batch.append(event("claim.made", occurred=draw(occurred()), data={
                    "actor": actor, "subject": "force-size",
                    "value": draw(st.integers(1, 10)) * 1000}))
                continue
            value = draw(st.sampled_from(STANCES))
            payload: dict[str, Any] = {"speaker": draw(st.sampled_from(SPEAKERS))}
            if value == "conditional":
                payload["conditions"] = draw(st.lists(st.sampled_from(CONDITIONS), max_size=2,
                                                      unique_by=lambda c: c["on"]))
                payload["dropped"] = draw(st.lists(st.sampled_from(
                    [c["on"] for c in CONDITIONS]), max_size=1))
            published = draw(st.sampled_from([None, "2024-06", "2025-02-10", "2025"]))
            extra["source"] = {"document": "test", "quote": "a quote", "published": published}
            made_now = stance(actor, draw(st.sampled_from(TOPICS)),
                              value, draw(occurred()), data_extra=payload, **extra)
            batch.append(made_now)
            live.append(made_now)
        log.append(batch)
    # Every reference is registered first (on a stream of its own: the actors' start at 0).
    return [registry([*ACTORS, *PEOPLE], [*TOPICS, *(c["on"] for c in CONDITIONS)]), *log]


@contextmanager
def fresh_store(engine: str) -> Iterator[SqlEventStore]:
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            store = SqlEventStore(f"sqlite:///{Path(tmp) / 'p.db'}")
            try:
                yield store
            finally:
                store.close()
        return
    base = require_pg()
    schema = f"p_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base else "?"
    store = SqlEventStore(f"{base}{joiner}options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


REPORTED = [date(2024, 6, 15), date(2025, 2, 10)]
DATES = [date(2023, 1, 1), date(2023, 6, 15), date(2024, 2, 10), date(2024, 2, 29),
         date(2024, 12, 31), date(2025, 3, 1), date(2025, 7, 15), date(2026, 1, 1)]
# The speaker and reported_by answers read the pair's whole history: a few dates suffice.
FEWER = (date(2024, 2, 10), date(2025, 3, 1))


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(log=batches())
def test_sql_answers_equal_the_pure_fold(engine: str, log: list[list[PreparedEvent]]) -> None:
    with fresh_store(engine) as store:
        times: list[datetime | None] = [None]
        for batch in log:
            appended = store.append(batch)
            times.append(appended[0].recorded_at)
        events = list(store.iter_all())
        for known_at in times:
            for actor in ACTORS:
                for topic in TOPICS:
                    for as_of in DATES:
                        got = store.stance(actor, topic, as_of, known_at)
                        want = projections.stance_as_of(events, actor, topic, as_of,
                                                        known_at)
                        assert got == want, (actor, topic, as_of, known_at)
                        if as_of not in FEWER:
                            continue
                        for speaker in PEOPLE:
                            assert store.stance(actor, topic, as_of, known_at,
                                                speaker=speaker) == projections.stance_as_of(
                                events, actor, topic, as_of, known_at, speaker=speaker)
                        for reported in REPORTED:
                            assert store.stance(actor, topic, as_of, known_at,
                                                reported=reported) == projections.stance_as_of(
                                events, actor, topic, as_of, known_at, reported=reported)
                    got_history = store.history(actor, topic, known_at)
                    want_history = projections.history(events, actor, topic, known_at)
                    assert got_history == want_history
                    assert store.history(actor, topic, known_at, speaker="macron") == (
                        projections.history(events, actor, topic, known_at, speaker="macron"))
            for as_of in DATES:
                got_claims = store.claims("force-size", as_of, known_at)
                want_claims = projections.claims(events, "force-size", as_of, known_at)
                assert [projections.claim_of(e, as_of) for e in got_claims] == [
                    projections.claim_of(e, as_of) for e in want_claims]
            for speaker in PEOPLE:
                assert store.voiced_pairs(speaker) == sorted(
                    {(str(e.actor), str(e.topic)) for e in events
                     if e.type == "stance.declared" and e.data.get("speaker") == speaker})
            for start, end in itertools.pairwise(DATES):
                candidates = set(store.changed_pairs(start, end, None, known_at))
                for actor, topic in projections.stance_pairs(events):
                    before = projections.stance_as_of(events, actor, topic, start, known_at)
                    after = projections.stance_as_of(events, actor, topic, end, known_at)
                    if replace(before, evidence=[]) != replace(after, evidence=[]):
                        assert (actor, topic) in candidates, (actor, topic, start, end)
        assert store.stance_pairs() == projections.stance_pairs(events)


BAD_VOIDS = ("retract a retraction", "retract twice", "supersede itself", "cycle",
             "another stream")


@pytest.mark.parametrize("engine", ["memory", "sqlite"])
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(log=batches(), bad=st.sampled_from(BAD_VOIDS), pick=st.randoms(use_true_random=False))
def test_a_void_that_breaks_the_rules_is_refused_and_changes_nothing(
        engine: str, log: list[list[PreparedEvent]], bad: str, pick: Any) -> None:
    """After any log of retraction chains, each kind of bad void is a 422 on every store,
    and the answers are what they were."""
    with (nullcontext(InMemoryStore()) if engine == "memory" else fresh_store(engine)
          ) as store:
        for batch in log:
            store.append(batch)
        events = list(store.iter_all())
        retractions = [e for e in events if e.type == "event.retracted"]
        voided = set(store.voids([e.id for e in events]))
        own, other = str(uuid.uuid4()), str(uuid.uuid4())
        attempt: list[PreparedEvent]
        if bad == "retract a retraction" and retractions:
            attempt = [event("event.retracted",
                             data={"target": pick.choice(retractions).id, "reason": "x"})]
        elif bad == "retract twice" and voided:
            attempt = [event("event.retracted",
                             data={"target": pick.choice(sorted(voided)), "reason": "x"})]
        elif bad == "cycle":
            attempt = [stance("fra", "troops", "supports", "2025", id=own, supersedes=other),
                       stance("fra", "troops", "opposes", "2025", id=other, supersedes=own)]
        elif bad == "another stream" and (live := [e for e in events if e.id not in voided
                                                   and e.type == "stance.declared"]):
            target = pick.choice(live)
            actor = "pol" if target.actor == "fra" else "fra"
            attempt = [stance(actor, "troops", "supports", "2025", supersedes=target.id)]
        else:
            attempt = [stance("fra", "troops", "supports", "2025", id=own, supersedes=own)]
        head = store.head()
        before = [store.stance(a, t, DATES[-1]) for a in ACTORS for t in TOPICS]
        with pytest.raises(InvalidInput):
            store.append(attempt)
        assert store.head() == head
        assert [store.stance(a, t, DATES[-1]) for a in ACTORS for t in TOPICS] == before
