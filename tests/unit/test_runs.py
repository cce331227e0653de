"""Runs: since, last_stated, accumulating and dropped conditions, open starts (DESIGN §4)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from stanceline.domain.events import RecordedEvent
from stanceline.domain.runs import fold_runs, order_key, streak_start


def rec(position: int, stance: str, start: date | None, end: date, *,
        conditions: list[dict[str, Any]] | None = None,
        dropped: list[str] | None = None) -> RecordedEvent:
    data: dict[str, Any] = {"actor": "fra", "topic": "t", "stance": stance,
                            "conditions": conditions or [], "dropped": dropped or []}
    occurred = end.isoformat() if start is not None else f"../{end.isoformat()}"
    return RecordedEvent(
        position=position, id=f"id-{position}", stream="actor:fra", version=position,
        type="stance.declared", schema_version=2, occurred=occurred, occurred_start=start,
        occurred_end=end, precision="day", occurred_text=None, relative_to=None,
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC), data=data, source=None,
        supersedes=None, disputed=False, note=None, data_json="", source_json=None, hash="",
        prev_hash="", actor="fra", topic="t")


def day(text: str) -> date:
    return date.fromisoformat(text)


US = {"on": "us-backstop", "text": "a US backstop"}
CEASEFIRE = {"on": "ceasefire", "text": "a genuine ceasefire"}


def test_a_restatement_is_not_a_change() -> None:
    events = [rec(1, "opposes", day("2024-02-01"), day("2024-02-01")),
              rec(2, "supports", day("2024-05-01"), day("2024-05-01")),
              rec(3, "supports", day("2025-01-01"), day("2025-01-01"))]
    runs = fold_runs(events)
    assert [r.stance for r in runs] == ["opposes", "supports"]
    assert runs[-1].first.position == 2 and runs[-1].last.position == 3


def test_conditions_accumulate_until_dropped() -> None:
    events = [rec(1, "conditional", day("2025-01-01"), day("2025-01-01"),
                  conditions=[US, CEASEFIRE]),
              # Naming fewer conditions keeps the others: a restatement, not a change.
              rec(2, "conditional", day("2025-02-01"), day("2025-02-01"), conditions=[CEASEFIRE]),
              rec(3, "conditional", day("2025-03-01"), day("2025-03-01"), dropped=["us-backstop"])]
    runs = fold_runs(events)
    assert len(runs) == 2
    first, second = runs
    assert first.condition_keys() == {"us-backstop", "ceasefire"}
    assert first.last.position == 2
    assert first.conditions["ceasefire"].first.position == 1
    assert first.conditions["ceasefire"].last.position == 2
    assert first.conditions["us-backstop"].last.position == 1
    assert second.condition_keys() == {"ceasefire"} and second.first.position == 3
    # A condition keeps the date it was first stated across the change its drop made.
    assert second.conditions["ceasefire"].first.position == 1


def test_a_new_condition_is_a_change() -> None:
    events = [rec(1, "conditional", day("2025-01-01"), day("2025-01-01"), conditions=[US]),
              rec(2, "conditional", day("2025-02-01"), day("2025-02-01"), conditions=[CEASEFIRE])]
    runs = fold_runs(events)
    assert [sorted(r.condition_keys()) for r in runs] == [["us-backstop"],
                                                          ["ceasefire", "us-backstop"]]


def test_a_change_of_stance_resets_the_conditions() -> None:
    events = [rec(1, "conditional", day("2025-01-01"), day("2025-01-01"), conditions=[US]),
              rec(2, "supports", day("2025-02-01"), day("2025-02-01")),
              rec(3, "conditional", day("2025-03-01"), day("2025-03-01"), conditions=[CEASEFIRE])]
    assert fold_runs(events)[-1].condition_keys() == {"ceasefire"}


def test_version_one_words_are_conditions_keyed_by_their_words() -> None:
    one = rec(1, "conditional", day("2025-01-01"), day("2025-01-01"))
    one.data["conditions"] = ["A ceasefire"]
    two = rec(2, "conditional", day("2025-02-01"), day("2025-02-01"))
    two.data["conditions"] = ["a ceasefire"]
    runs = fold_runs([one, two])
    assert len(runs) == 1 and runs[0].last.position == 2


def test_an_open_start_is_ordered_before_the_dated_events_it_may_precede() -> None:
    open_ = rec(5, "opposes", None, day("2025-02-20"))
    dated = rec(1, "supports", day("2025-01-10"), day("2025-01-10"))
    assert sorted([open_, dated], key=order_key) == [dated, open_][::-1]


def test_streak_start_counts_the_newest_events_of_one_stance() -> None:
    newest_first = [rec(3, "supports", day("2025-03-01"), day("2025-03-01")),
                    rec(2, "supports", day("2025-02-01"), day("2025-02-01")),
                    rec(1, "opposes", day("2025-01-01"), day("2025-01-01"))]
    assert streak_start(newest_first) == 2
    assert streak_start(newest_first[:2]) is None
    assert streak_start([]) == 0
