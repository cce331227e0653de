"""What voided an event, as known at a time: the retraction or correction that made it stop
counting, and when that was recorded (DESIGN §4: a void counts from its recording on)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from stanceline.domain.events import RecordedEvent
from stanceline.domain.projections import RETRACTION, retraction_target


@dataclass(frozen=True, slots=True)
class Void:
    """`target` stopped counting at `at` because of `by` (a retraction or a correction)."""

    target: str
    by: str
    retraction: bool  # True: `event.retracted`; False: an event that `supersedes` it
    at: datetime


def voids_of(log: Iterable[RecordedEvent], ids: Collection[str],
             known_at: datetime | None = None) -> dict[str, Void]:
    """The first void of each of `ids` recorded by `known_at` (None: now): the fold the
    stores' `voids` reads agree with."""
    wanted = set(ids)
    found: dict[str, Void] = {}
    for event in log:
        target = retraction_target(event)
        if target is None or target not in wanted or target in found:
            continue
        if known_at is not None and event.recorded_at > known_at:
            continue
        found[target] = Void(target, event.id, event.type == RETRACTION, event.recorded_at)
    return found
