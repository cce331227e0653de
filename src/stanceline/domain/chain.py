"""The SHA-256 hash chain: each event's content digest linked to the hash before it.

A changed, inserted or removed row breaks the chain at its position.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stanceline.domain.digest import content_digest, link_hash
from stanceline.domain.events import RecordedEvent, format_timestamp

GENESIS = "0" * 64


def recorded_hash(event: RecordedEvent) -> str:
    """Recompute the hash of a stored event from its own fields."""
    return link_hash(event.prev_hash, event.position, event.version,
                     format_timestamp(event.recorded_at), content_digest(event))


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What walking the chain found."""

    ok: bool
    events: int
    head: str
    broken_at: int | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The `/api/verify` form."""
        if self.ok:
            return {"ok": True, "events": self.events, "head": self.head}
        return {"ok": False, "events": self.events, "broken_at": self.broken_at,
                "detail": self.detail}


def verify_chain(events: Iterable[RecordedEvent]) -> ChainReport:
    """Walk events in position order; name the first position whose row or link is wrong."""
    prev = GENESIS
    expected_position = 1
    count = 0
    for event in events:
        if event.position != expected_position:
            return ChainReport(False, count, prev, expected_position,
                               f"position {expected_position} is missing "
                               f"(next row is {event.position})")
        if event.prev_hash != prev:
            return ChainReport(False, count, prev, event.position,
                               "prev_hash does not match the hash of the event before it")
        if recorded_hash(event) != event.hash:
            return ChainReport(False, count, prev, event.position,
                               "the row's content does not match its hash")
        prev = event.hash
        expected_position += 1
        count += 1
    return ChainReport(True, count, prev)
