"""As-of semantics (DESIGN §4) on every store: the same answers from SQL and from the fold."""

from __future__ import annotations

from datetime import date, timedelta

from stanceline.store.base import EventStore
from tests.conftest import event, registry, stance

T = "troops-in-ukraine"
US = {"on": "us-backstop", "text": "a US backstop"}
CEASEFIRE = {"on": "ceasefire", "text": "a ceasefire"}


def test_unknown_where_nothing_is_said(store: EventStore) -> None:
    answer = store.stance("fra", T, date(2025, 1, 1))
    assert (answer.stance, answer.certain, answer.possible, answer.since) == (
        "unknown", True, [], None)
    assert answer.evidence == []


def test_the_latest_counting_stance_decides(store: EventStore) -> None:
    store.append([stance("deu", T, "supports", "2024-03-01"),
                  stance("deu", T, "opposes", "2025-01-20",
                         data_extra={"speaker": "olaf-scholz", "summary": "no"})])
    early = store.stance("deu", T, date(2024, 6, 1))
    assert (early.stance, early.certain, early.since) == ("supports", True, "2024-03-01")
    late = store.stance("deu", T, date(2025, 1, 20))
    assert (late.stance, late.since) == ("opposes", "2025-01-20")
    assert late.evidence[0].speaker == "olaf-scholz"
    assert late.evidence[0].quote == "a quote" and late.evidence[0].counts == "certain"
    assert store.stance("deu", T, date(2024, 2, 29)).stance == "unknown"


def test_a_month_in_progress_may_count(store: EventStore) -> None:
    store.append([stance("fra", T, "supports", "2024-02", occurred_text="last February",
                         relative_to="2025-01-23")])
    during = store.stance("fra", T, date(2024, 2, 10))
    assert (during.stance, during.certain, during.possible) == ("unknown", False, ["supports"])
    assert during.evidence[0].counts == "possible"
    assert during.evidence[0].occurred_text == "last February"
    after = store.stance("fra", T, date(2024, 2, 29))
    assert (after.stance, after.certain, after.since) == ("supports", True, "2024-02")
    assert store.stance("fra", T, date(2024, 1, 31)).certain


def test_a_year_in_progress_can_overturn_an_earlier_day(store: EventStore) -> None:
    store.append([stance("pol", T, "opposes", "2025-03-01"), stance("pol", T, "supports", "2025")])
    answer = store.stance("pol", T, date(2025, 6, 1))
    assert (answer.stance, answer.certain, answer.possible) == ("opposes", False, ["supports"])
    # Once both count, DESIGN §4 orders them by occurred_start: the year starts first.
    settled = store.stance("pol", T, date(2025, 12, 31))
    assert (settled.stance, settled.certain) == ("opposes", True)


def test_the_same_stance_in_progress_leaves_the_answer_certain(store: EventStore) -> None:
    store.append([stance("pol", T, "opposes", "2024"), stance("pol", T, "opposes", "2025-02")])
    answer = store.stance("pol", T, date(2025, 2, 10))
    assert (answer.stance, answer.certain) == ("opposes", True)


def test_same_start_is_ordered_by_position(store: EventStore) -> None:
    store.append([stance("gbr", T, "supports", "2025-02-03"),
                  stance("gbr", T, "conditional", "2025-02-03",
                         data_extra={"conditions": [US]})])
    answer = store.stance("gbr", T, date(2025, 2, 3))
    assert (answer.stance, [c.text for c in answer.conditions]) == ("conditional",
                                                                   ["a US backstop"])


def test_known_at_shows_what_was_known_then(store: EventStore) -> None:
    [first] = store.append([stance("rus", T, "undecided", "2024-01-01")])
    [second] = store.append([stance("rus", T, "opposes", "2025-03-01")])
    assert store.stance("rus", T, date(2026, 1, 1)).stance == "opposes"
    then = store.stance("rus", T, date(2026, 1, 1), first.recorded_at)
    assert then.stance == "undecided"
    before_anything = first.recorded_at - timedelta(microseconds=1)
    assert store.stance("rus", T, date(2026, 1, 1), before_anything).stance == "unknown"
    assert store.stance("rus", T, date(2026, 1, 1), second.recorded_at).stance == "opposes"


def test_a_retraction_counts_from_its_recording_on(store: EventStore) -> None:
    wrong = stance("usa", T, "supports", "2025-02-01")
    [appended] = store.append([stance("usa", T, "undecided", "2024"), wrong])[1:]
    [retraction] = store.append([event("event.retracted",
                                       data={"target": wrong.id, "reason": "misread"})])
    assert store.stance("usa", T, date(2026, 1, 1)).stance == "undecided"
    assert store.stance("usa", T, date(2026, 1, 1), appended.recorded_at).stance == "supports"
    assert store.stance("usa", T, date(2026, 1, 1), retraction.recorded_at).stance == "undecided"


def test_a_superseding_event_replaces_the_one_it_corrects(store: EventStore) -> None:
    original = stance("nld", T, "supports", "2025-01-10")
    [first] = store.append([original])
    [fixed] = store.append([stance("nld", T, "conditional", "2025-01-12",
                                   supersedes=original.id)])
    answer = store.stance("nld", T, date(2025, 3, 1))
    assert (answer.stance, answer.since) == ("conditional", "2025-01-12")
    store_then = store.stance("nld", T, date(2025, 3, 1), first.recorded_at)
    assert store_then.stance == "supports"
    early = store.stance("nld", T, date(2025, 1, 11))
    assert early.stance == "unknown", "the corrected event no longer counts at all"
    assert fixed.position == first.position + 1


def test_history_lists_each_change_with_evidence(store: EventStore) -> None:
    store.append([stance("fra", T, "supports", "2024-02"), stance("fra", T, "supports", "2024-05"),
                  stance("fra", T, "conditional", "2025-03",
                         data_extra={"conditions": [CEASEFIRE]}),
                  stance("fra", T, "conditional", "2025-03-15",
                         data_extra={"conditions": [CEASEFIRE]}),
                  stance("fra", "air-policing", "supports", "2025")])
    changes = store.history("fra", T)
    assert [(c.since, c.stance, c.certain) for c in changes] == [
        ("2024-02", "supports", True), ("2025-03", "conditional", True)]
    assert len(changes[0].evidence) == 2
    assert [(c.on, c.first_stated, c.last_stated) for c in changes[1].conditions] == [
        ("ceasefire", "2025-03", "2025-03-15")]
    assert changes[1].last_stated == "2025-03-15"
    assert store.history("fra", "naval-mission") == []


def test_history_marks_a_change_whose_order_is_uncertain(store: EventStore) -> None:
    store.append([stance("ukr", T, "supports", "2025"), stance("ukr", T, "conditional", "2025-06")])
    changes = store.history("ukr", T)
    assert [(c.stance, c.certain) for c in changes] == [("supports", True),
                                                         ("conditional", False)]


def test_stance_pairs_and_changed_pairs(store: EventStore) -> None:
    store.append([stance("fra", T, "supports", "2024-02"), stance("pol", T, "opposes", "2025-01"),
                  stance("pol", "air-policing", "opposes", "2020")])
    assert store.stance_pairs() == [("fra", T), ("pol", "air-policing"), ("pol", T)]
    assert store.stance_pairs(topic=T) == [("fra", T), ("pol", T)]
    assert store.stance_pairs(actor="pol") == [("pol", "air-policing"), ("pol", T)]
    moved = store.changed_pairs(date(2024, 12, 1), date(2025, 2, 1))
    assert ("pol", T) in moved


def test_claims_by_subject_in_date_order(store: EventStore) -> None:
    store.append([
        event("claim.made", occurred="2025-01", data={
            "actor": "ukr", "speaker": "volodymyr-zelenskyy", "subject": "force-size",
            "value": 200000, "unit": "troops", "qualifier": "at a minimum"}),
        event("claim.made", occurred="2025-02", data={
            "actor": "european-allies", "subject": "force-size", "low": 25000, "high": 30000,
            "unit": "troops"}),
        event("claim.made", occurred="2026-01", data={
            "actor": "dmytro-zhmaillo", "subject": "rotation-requirement", "low": 30000,
            "high": 40000, "unit": "troops"}),
    ])
    found = store.claims("force-size", date(2026, 1, 1))
    assert [(c.data["value"], c.data["low"], c.data["high"]) for c in found] == [
        (200000, None, None), (None, 25000, 30000)]
    assert found[0].data["qualifier"] == "at a minimum"
    assert [c.data["actor"] for c in store.claims("force-size", date(2025, 1, 31))] == ["ukr"]
    assert len(store.claims(None, None)) == 3


def test_actor_directory_resolves_aliases(bare_store: EventStore) -> None:
    store = bare_store
    store.append(registry(["gbr", "ukr", "est", "lva", "ltu"]))
    store.append([
        event("actor.registered", data={"actor": "keir-starmer", "name": "Keir Starmer",
                                        "kind": "person", "represents": "gbr",
                                        "aliases": ["Kir Starmer", "Kiel Kiel"]}),
        event("actor.registered", data={"actor": "volodymyr-zelenskyy",
                                        "name": "Volodymyr Zelenskyy", "kind": "person",
                                        "represents": "ukr", "aliases": ["Zelenskiy", "Zélensky"]}),
        event("actor.registered", data={"actor": "baltic-states", "name": "Baltic states",
                                        "kind": "group", "members": ["est", "lva", "ltu"]}),
        event("topic.defined", data={"topic": T, "title": "Troops in Ukraine"}),
    ])
    assert [a.actor for a in store.actors("kiel kiel")] == ["keir-starmer"]
    assert [a.actor for a in store.actors("ZELENSKY")] == ["volodymyr-zelenskyy"]
    assert [a.actor for a in store.actors("zélenskiy")] == ["volodymyr-zelenskyy"]
    assert store.resolve("KIR STARMER") == ["keir-starmer"]
    assert store.resolve("Starmer") == []
    group = store.actor("baltic-states")
    assert group is not None and group.members == ("est", "lva", "ltu")
    assert store.actor("nobody") is None
    assert [t.topic for t in store.topics()] == [T]
    assert len(store.actors()) == 8


def test_stances_answer_the_same_from_many_threads(store: EventStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store.append(registry([f"a{i}" for i in range(12)]))
    store.append([stance(f"a{i}", T, "supports" if i % 2 else "opposes", "2025-01-01")
                  for i in range(12)])
    expected = [store.stance(f"a{i}", T, date(2025, 6, 1)).stance for i in range(12)]
    # More threads than the store keeps hot connections for: the rest use the pool.
    with ThreadPoolExecutor(10) as pool:
        for _ in range(3):
            got = list(pool.map(lambda i: store.stance(f"a{i}", T, date(2025, 6, 1)).stance,
                                range(12)))
            assert got == expected


def test_an_actors_kind_is_one_probe(store: EventStore) -> None:
    assert store.actor_kind("keir-starmer") == "person"
    assert store.actor_kind("nobody") is None
