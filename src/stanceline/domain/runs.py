"""Runs of a stance: the unbroken stretches of one stance and one set of conditions (DESIGN §4).

A restatement is not a change. While a stance stays the same its conditions accumulate: an
event naming fewer conditions does not drop the others, only its `dropped` list does. A run
ends when the stance or the set of conditions changes; its first event is the answer's
`since`, its last the answer's `last_stated`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from stanceline.domain.events import RecordedEvent
from stanceline.domain.names import fold


def order_key(event: RecordedEvent) -> tuple[date, int]:
    """The order in which stance events take effect: by start date, then by position.

    An open start ("on or before 20 February") sorts before every dated event: it may precede
    any of them, and it is never ordered after an event it might precede.
    """
    return (event.occurred_start or date.min, event.position)


def condition_key(condition: Mapping[str, object]) -> str:
    """What a condition is about: its topic, or (for upcast version-1 text) its folded words."""
    on = condition.get("on")
    return str(on) if on else f"text:{fold(str(condition.get('text', '')))}"


@dataclass(slots=True)
class HeldCondition:
    """One condition of a run, with the events that first and last stated it."""

    key: str
    on: str | None
    text: str
    first: RecordedEvent
    last: RecordedEvent
    events: list[RecordedEvent] = field(default_factory=list)


@dataclass(slots=True)
class Run:
    """An unbroken stretch of one stance and one set of conditions."""

    stance: str
    first: RecordedEvent
    last: RecordedEvent
    conditions: dict[str, HeldCondition]
    events: list[RecordedEvent]

    def condition_keys(self) -> frozenset[str]:
        """The set of conditions, by what they are about."""
        return frozenset(self.conditions)


def _stated(event: RecordedEvent) -> list[Mapping[str, object]]:
    raw = event.data.get("conditions") or []
    # Version-1 payloads that were not upcast carry plain strings.
    return [c if isinstance(c, Mapping) else {"on": None, "text": str(c)} for c in raw]


def _accumulate(held: Mapping[str, HeldCondition], event: RecordedEvent
                ) -> dict[str, HeldCondition]:
    dropped = {str(d) for d in event.data.get("dropped") or []}
    found = {k: HeldCondition(c.key, c.on, c.text, c.first, c.last, list(c.events))
             for k, c in held.items() if k not in dropped}
    for condition in _stated(event):
        key = condition_key(condition)
        on = condition.get("on")
        text = str(condition.get("text", ""))
        if key in found:
            kept = found[key]
            kept.last = event
            kept.events.append(event)
        else:
            found[key] = HeldCondition(key, None if on is None else str(on), text, event, event,
                                       [event])
    return found


def fold_runs(ordered: Iterable[RecordedEvent]) -> list[Run]:
    """Stance events, in `order_key` order, folded into their runs."""
    runs: list[Run] = []
    for event in ordered:
        value = str(event.data["stance"])
        current = runs[-1] if runs else None
        if current is None or current.stance != value:
            runs.append(Run(value, event, event, _accumulate({}, event), [event]))
            continue
        conditions = _accumulate(current.conditions, event)
        if frozenset(conditions) != current.condition_keys():
            runs.append(Run(value, event, event, conditions, [event]))
            continue
        current.conditions = conditions
        current.last = event
        current.events.append(event)
    return runs


def latest_run(ordered: Sequence[RecordedEvent]) -> Run | None:
    """The run in force after the last of `ordered` (None when there is no event)."""
    runs = fold_runs(ordered)
    return runs[-1] if runs else None


def streak_start(newest_first: Sequence[RecordedEvent]) -> int | None:
    """How many of the newest events share the newest one's stance, or None if all of them do.

    A run never spans a change of stance, so folding from the start of this streak gives the
    same latest run as folding the whole history: a store need only read that far back.
    """
    if not newest_first:
        return 0
    value = newest_first[0].data["stance"]
    for index, event in enumerate(newest_first):
        if event.data["stance"] != value:
            return index
    return None
