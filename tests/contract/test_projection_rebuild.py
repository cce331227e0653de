"""Every registered projection: append-then-read equals rebuild-then-read.

Append hands each projection the events its `wants` accepts one batch at a time; rebuild
empties its tables and refills them set-based or from one scan of the log filtered by the SQL
form of the same `wants`. Both must leave the same rows, on the seeded record and on random
logs, on SQLite and PostgreSQL; and every store answers the projections' queries the same
before and after a rebuild.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stanceline.domain.events import EVENT_IN, PreparedEvent, prepare
from stanceline.ingest import document_events
from stanceline.store.base import EventFilter, EventStore
from stanceline.store.projections import PROJECTIONS, Projection
from stanceline.store.sql import SqlEventStore
from tests.conftest import event, registry, require_pg, stance
from tests.contract.test_property import batches as stance_batches

ROOT = Path(__file__).resolve().parents[2]
NAMES = [p.name for p in PROJECTIONS]
ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
PEOPLE = ("emmanuel-macron", "keir-starmer")
ALIASES = {"fra": ("Frankreich", "Francia"), "pol": ("Polska", "Pologne")}
T = "troops-in-ukraine"


def seeded_batches() -> list[list[PreparedEvent]]:
    """The curated record, one batch per file (actors and topics first), as `load` sends it,
    then a retraction and a correction (the record itself has neither)."""
    files = sorted((ROOT / "events").glob("*.jsonl"),
                   key=lambda p: (p.stem not in ("actors", "topics"), p.stem != "actors", p.name))
    record = [[prepare(EVENT_IN.validate_python(json.loads(line)))
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
              for path in files]
    documents = [prepare(e) for e in document_events(ROOT / "seeds")]
    wrong = stance("fra", T, "opposes", "2024-03-01")
    corrected = stance("pol", T, "supports", "2024-03-02")
    renamed = event("actor.updated", data={"actor": "pol", "aliases": ["Polska"]})
    titled = event("topic.updated", data={"topic": T, "title": "The mission"})
    return [documents, *record, [wrong, corrected, renamed, titled],
            [event("event.retracted", data={"target": wrong.id, "reason": "misread"}),
             stance("pol", T, "opposes", "2024-03-02", supersedes=corrected.id),
             event("event.retracted", data={"target": renamed.id, "reason": "not so"})]]


def rows(store: SqlEventStore, projection: Projection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the projection's tables, in a stable order."""
    with store.engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(sa.select(t)))
                for t in projection.tables}


def snapshot(store: SqlEventStore) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Each registered projection's rows."""
    return {p.name: rows(store, p) for p in PROJECTIONS}


def answers(store: EventStore) -> dict[str, object]:
    """What each projection's queries answer (the memory store answers them by folds)."""
    actors = sorted({a for e in store.iter_all() for a in (e.actor, e.data.get("speaker"),
                                                            *e.data.get("participants", []))
                     if a})
    return {
        "event_refs": {a: [e.position for e in store.read(EventFilter(actor=a, limit=10_000))]
                       for a in actors},
        "voids": [asdict(c) for a, t in store.stance_pairs() for c in store.history(a, t)],
        "claims": [e.id for e in store.claims(None, None)],
        "directory": (store.actors(), store.topics(), {a: store.resolve(a) for a in actors}),
        "documents": (store.documents(), {d.document: [e.id for e in store.citing(d.document)]
                                          for d in store.documents()}),
        "stance_pairs": (store.stance_pairs(), store.changed_pairs(date(2000, 1, 1),
                                                                   date(2030, 1, 1))),
        "month_counts": [timeline_counts(store, f) for f in timeline_filters(store, actors)],
    }


def timeline_filters(store: EventStore, actors: list[str]) -> list[EventFilter]:
    """The filters the page's timeline passes: none, an actor, a topic, a type, two."""
    topics = sorted({e.topic for e in store.iter_all() if e.topic})
    return [EventFilter(), EventFilter(type="stance.declared"),
            *(EventFilter(actor=a) for a in actors), *(EventFilter(topic=t) for t in topics),
            *(EventFilter(actor=a, type="meeting.held") for a in actors[:3])]


def timeline_counts(store: EventStore, flt: EventFilter) -> tuple[object, ...]:
    """What the timeline of a large log reads: the count, each lane's, the buckets, and the
    buckets with only the busiest lane kept."""
    lanes = store.lane_totals(flt)
    busiest = sorted(lanes, key=lambda a: (-lanes[a], a))[:1]
    return store.count(flt), lanes, store.buckets(flt), store.buckets(flt, busiest)


@contextmanager
def sql_store(engine: str) -> Iterator[SqlEventStore]:
    """A fresh SQL store on SQLite or in a private PostgreSQL schema."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            store = SqlEventStore(f"sqlite:///{Path(tmp) / 'r.db'}")
            try:
                yield store
            finally:
                store.close()
        return
    base = require_pg()
    schema = f"r_{uuid.uuid4().hex[:12]}"
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


def check_rebuild(store: SqlEventStore) -> None:
    appended = snapshot(store)
    before = answers(store)
    assert store.rebuild() == store.head()
    rebuilt = snapshot(store)
    for name in NAMES:
        assert rebuilt[name] == appended[name], name
    assert answers(store) == before


@pytest.mark.parametrize("engine", ENGINES)
def test_seeded_record_rebuilds_to_what_appends_made(engine: str) -> None:
    with sql_store(engine) as store:
        for batch in seeded_batches():
            store.append(batch)
        made = snapshot(store)
        for name in NAMES:
            assert any(made[name].values()), f"the seeded record leaves {name} empty"
        check_rebuild(store)


def test_the_stores_agree_on_the_seeded_record(bare_store: EventStore) -> None:
    """The memory store (no tables: folds) answers what the SQL tables answer."""
    store = bare_store
    log = seeded_batches()
    for batch in log:
        store.append(batch)
    assert set(answers(store)) == set(NAMES), "every registered projection has its answers"
    store.rebuild()
    with sql_store("sqlite") as reference:
        for batch in log:
            reference.append(batch)
        assert answers(store) == answers(reference)


@st.composite
def logs(draw: st.DrawFn) -> list[list[PreparedEvent]]:
    """Random stance logs (with retractions and corrections) plus what the other projections
    read: registrations and redefinitions, speakers, participants."""
    log = draw(stance_batches())
    log.insert(1, registry(["gbr", "est", "lva", "nato", "rus", "sergey-lavrov", *PEOPLE]))
    extra: list[PreparedEvent] = []
    registry_events: list[PreparedEvent] = []
    for n in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["actor", "topic", "undo", "meeting", "statement",
                                     "spoken"]))
        if kind == "actor":
            actor = draw(st.sampled_from(("fra", "pol")))
            changes = draw(st.fixed_dictionaries({}, optional={
                "name": st.sampled_from((f"{actor} {n}", f"Name {actor}")),
                "aliases": st.lists(st.sampled_from(ALIASES[actor]), max_size=2, unique=True),
                "members": st.lists(st.sampled_from(("est", "lva")), unique=True),
                "represents": st.sampled_from((None, "nato"))}))
            made = event("actor.updated", data={"actor": actor, "name": f"{actor} {n}",
                                                **changes})
            extra.append(made)
            registry_events.append(made)
        elif kind == "topic":
            made = event("topic.updated", data={
                "topic": draw(st.sampled_from(("troops", "air"))), "title": f"Title {n}"})
            extra.append(made)
            registry_events.append(made)
        elif kind == "undo" and registry_events:
            # Each event is retracted at most once (`domain.corrections`).
            target = registry_events.pop(draw(st.integers(0, len(registry_events) - 1)))
            extra.append(event("event.retracted", data={"target": target.id, "reason": "x"}))
        elif kind == "meeting":
            extra.append(event("meeting.held", occurred="2025-02-03", data={
                "title": "Retreat", "participants": draw(st.lists(
                    st.sampled_from(("fra", "pol", "gbr")), min_size=1, unique=True))}))
        elif kind == "statement":
            extra.append(event("statement.made", occurred="2025", data={
                "actor": "rus", "speaker": draw(st.sampled_from((None, "sergey-lavrov"))),
                "summary": "no"}))
        else:
            actor = draw(st.sampled_from(("fra", "gbr")))
            extra.append(stance(actor, "troops", "supports", "2025-01", data_extra={
                "speaker": draw(st.sampled_from((actor, *PEOPLE)))}))
    if extra:
        # After the registrations, which every reference needs first.
        log.insert(draw(st.integers(2, len(log))), extra)
    return log


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(log=logs())
def test_random_logs_rebuild_to_what_appends_made(engine: str,
                                                  log: list[list[PreparedEvent]]) -> None:
    with sql_store(engine) as store:
        for batch in log:
            store.append(batch)
        check_rebuild(store)
