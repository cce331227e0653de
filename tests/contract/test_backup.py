"""Rebuild, export and import: projections recomputed, backups restored with the same head."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from stanceline.config import Settings
from stanceline.domain.chain import GENESIS, ChainBroken, recorded_hash
from stanceline.domain.events import from_envelope, prepare
from stanceline.errors import InvalidInput
from stanceline.ingest import document_events
from stanceline.service import Service
from stanceline.store.base import EventStore
from stanceline.store.memory import InMemoryStore
from stanceline.store.sql import SqlEventStore
from tests.conftest import event, stance

ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"


def seeded(store: EventStore) -> Service:
    service = Service(store, Settings(database_url="memory://", load_seed=False))
    service.load([ROOT / "events"])
    wrong = stance("fra", T, "opposes", "2024-03-01")
    store.append([wrong])
    store.append([event("event.retracted", data={"target": wrong.id, "reason": "misread"})])
    return service


def answers(store: EventStore) -> list[object]:
    days = [date(2024, 2, 10), date(2025, 2, 15), date(2026, 1, 10)]
    found: list[object] = [store.stance(a, t, d) for a, t in store.stance_pairs()
                           for d in days]
    found += [c for a, t in store.stance_pairs() for c in store.history(a, t)]
    found += [e.id for e in store.claims(None, None)]
    found += [store.actors(), store.topics(), store.stance_pairs()]
    return found


def test_rebuild_recomputes_the_same_projections(store: EventStore) -> None:
    seeded(store)
    before = answers(store)
    assert store.rebuild() == store.head()
    assert answers(store) == before
    if isinstance(store, SqlEventStore):
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM stance_pairs")
            conn.exec_driver_sql("DELETE FROM voids")
            conn.exec_driver_sql("DELETE FROM actors")
        assert answers(store) != before
        store.rebuild()
        assert answers(store) == before


def test_export_then_import_reproduces_the_chain(store: EventStore, tmp_path: Path) -> None:
    service = seeded(store)
    out = io.StringIO()
    assert service.export(out) == store.head()
    target = SqlEventStore(f"sqlite:///{tmp_path / 'restored.db'}")
    try:
        restored = Service(target, service.settings)
        assert restored.import_(out.getvalue().splitlines()) == store.head()
        assert target.verify().head == store.verify().head
        assert answers(target) == answers(store)
        with pytest.raises(InvalidInput, match="empty store"):
            restored.import_(out.getvalue().splitlines())
    finally:
        target.close()


def test_a_tampered_export_is_refused_at_its_position(store: EventStore) -> None:
    service = seeded(store)
    out = io.StringIO()
    service.export(out)
    lines = out.getvalue().splitlines()
    forged = json.loads(lines[99])
    forged["data"]["name"] = "Forged"
    lines[99] = json.dumps(forged)
    target = InMemoryStore()
    with pytest.raises(ChainBroken, match="position 100"):
        Service(target, service.settings).import_(lines)
    assert target.head() == 0
    dropped = lines[:50] + lines[51:]
    with pytest.raises(ChainBroken, match="position 51 is missing"):
        Service(InMemoryStore(), service.settings).import_(dropped)


@pytest.mark.postgres
def test_round_trip_sqlite_postgres_sqlite(tmp_path: Path, pg_url: str) -> None:
    first = SqlEventStore(f"sqlite:///{tmp_path / 'a.db'}")
    middle = SqlEventStore(pg_url)
    last = SqlEventStore(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        service = seeded(first)
        hop1, hop2 = io.StringIO(), io.StringIO()
        service.export(hop1)
        Service(middle, service.settings).import_(hop1.getvalue().splitlines())
        Service(middle, service.settings).export(hop2)
        Service(last, service.settings).import_(hop2.getvalue().splitlines())
        heads = {s.verify().head for s in (first, middle, last)}
        assert len(heads) == 1 and all(s.verify().ok for s in (first, middle, last))
        assert hop1.getvalue() == hop2.getvalue()
        assert answers(first) == answers(middle) == answers(last)
        # The restored stores go on appending where the original left off.
        for restored in (middle, last):
            [appended] = restored.append([stance("pol", T, "opposes", "2026")])
            assert appended.position == first.head() + 1 and restored.verify().ok
    finally:
        for s in (first, middle, last):
            s.close()


def rechained(lines: list[str]) -> list[str]:
    """The export with every hash recomputed, as an attacker with the file would do: the
    chain alone then proves nothing, so the refusal must come from checking the events."""
    out: list[str] = []
    prev = GENESIS
    for line in lines:
        envelope = json.loads(line)
        envelope["prev_hash"] = prev
        envelope["hash"] = prev = recorded_hash(from_envelope(envelope))
        out.append(json.dumps(envelope, ensure_ascii=False))
    return out


def first_stance(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in envelopes if e["type"] == "stance.declared"
                and (e["source"] or {}).get("verified"))


def _unregistered(envelopes: list[dict[str, Any]]) -> None:
    first_stance(envelopes)["data"]["actor"] = "atlantis"


def _made_up_quote(envelopes: list[dict[str, Any]]) -> None:
    first_stance(envelopes)["source"]["quote"] = "We will send a million soldiers tomorrow."


def _false_mark(envelopes: list[dict[str, Any]]) -> None:
    stance_ = first_stance(envelopes)
    stance_["source"]["document"] = "no-such-document"


def _invalid_payload(envelopes: list[dict[str, Any]]) -> None:
    first_stance(envelopes)["data"]["stance"] = "maybe"


def _nan_claim(envelopes: list[dict[str, Any]]) -> None:
    claim = next(e for e in envelopes if e["type"] == "claim.made")
    claim["data"]["value"] = float("nan")


def _retract_a_retraction(envelopes: list[dict[str, Any]]) -> None:
    undo = next(e for e in envelopes if e["type"] == "event.retracted")
    undo["data"]["target"] = undo["id"]


def _wrong_dates(envelopes: list[dict[str, Any]]) -> None:
    first_stance(envelopes)["occurred_start"] = "1999-01-01"


@pytest.mark.parametrize(("change", "match"), [
    (_unregistered, "no actor `atlantis` is registered"),
    (_made_up_quote, "the quote is not in document"),
    (_false_mark, "source.verified says True"),
    (_invalid_payload, "data.stance"),
    (_nan_claim, "data.value"),
    (_retract_a_retraction, "itself"),
    (_wrong_dates, "occurred: the stored dates"),
])
def test_a_doctored_rechained_export_is_refused_and_nothing_imported(
        store: EventStore, tmp_path: Path, change: Callable[[list[dict[str, Any]]], None],
        match: str) -> None:
    # The seed documents registered first, so quotes are checked against their texts.
    store.append([prepare(e) for e in document_events(ROOT / "seeds")])
    service = seeded(store)
    out = io.StringIO()
    service.export(out)
    envelopes = [json.loads(line) for line in out.getvalue().splitlines()]
    # Untouched, the re-chained export imports.
    clean = InMemoryStore()
    Service(clean, service.settings).import_(rechained(out.getvalue().splitlines()))
    assert clean.head() == store.head()
    change(envelopes)
    doctored_ = next(e for e, line in zip(envelopes, out.getvalue().splitlines(), strict=True)
                     if json.dumps(json.loads(line), sort_keys=True)
                     != json.dumps(e, sort_keys=True))
    lines = rechained([json.dumps(e, ensure_ascii=False) for e in envelopes])
    for target in (InMemoryStore(), SqlEventStore(f"sqlite:///{tmp_path / 'in.db'}")):
        try:
            with pytest.raises(InvalidInput, match=match) as refused:
                Service(target, service.settings).import_(lines)
            detail = str(refused.value)
            assert re.match(f"position {doctored_['position']}[:.]", detail), detail
            assert "\n" not in detail
            assert target.head() == 0
        finally:
            target.close()
