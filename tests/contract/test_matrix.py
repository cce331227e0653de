"""The stance matrix (one set-based read) equals the per-pair probes and the pure fold, for
random logs on SQLite and PostgreSQL, and every store keeps it (issue 13.4)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings

from stanceline.domain import projections
from stanceline.domain.events import PreparedEvent
from stanceline.store import EventStore
from tests.conftest import registry, stance
from tests.contract.test_property import ACTORS, DATES, TOPICS, batches, fresh_store

NARROWINGS = [(None, None), *((a, None) for a in ACTORS), *((None, t) for t in TOPICS)]


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(log=batches())
def test_the_matrix_equals_the_probes_and_the_fold(engine: str,
                                                   log: list[list[PreparedEvent]]) -> None:
    with fresh_store(engine) as store:
        times: list[datetime | None] = [None]
        for batch in log:
            times.append(store.append(batch)[0].recorded_at)
        events = list(store.iter_all())
        for known_at in times:
            for as_of in DATES:
                for actor, topic in NARROWINGS:
                    pairs = store.stance_pairs(actor, topic)
                    got = store.matrix(as_of, known_at, actor=actor, topic=topic)
                    assert [(s.actor, s.topic) for s in got] == pairs
                    assert got == [store.stance(a, t, as_of, known_at) for a, t in pairs]
                    assert got == [projections.stance_as_of(events, a, t, as_of, known_at)
                                   for a, t in pairs], (actor, topic, as_of, known_at)


def test_every_store_answers_the_matrix_pair_by_pair(bare_store: EventStore) -> None:
    """A long streak, a change before it, one in progress and an open start: the matrix cuts
    each pair's history where the probe does."""
    bare_store.append([*registry(["fra", "pol", "deu"], ["troops"])])
    bare_store.append([
        stance("fra", "troops", "opposes", "2024-01-05"),
        *(stance("fra", "troops", "supports", f"2024-{m:02d}-10") for m in range(2, 12)),
        stance("fra", "troops", "undecided", "2025"),
        stance("pol", "troops", "opposes", "../2024-03-01"),
        stance("pol", "troops", "opposes", "2024-05-02"),
        stance("deu", "troops", "conditional", "2024-06",
               data_extra={"conditions": [{"on": "troops", "text": "a mandate"}]}),
    ])
    for as_of in (date(2024, 1, 1), date(2024, 6, 15), date(2024, 12, 1), date(2025, 6, 1),
                  date(2026, 1, 1)):
        pairs = bare_store.stance_pairs(topic="troops")
        assert len(pairs) == 3
        assert bare_store.matrix(as_of, topic="troops") == [
            bare_store.stance(a, t, as_of) for a, t in pairs]
