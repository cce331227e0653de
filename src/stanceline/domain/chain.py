"""The SHA-256 hash chain over the canonical JSON of each envelope: tampering is detectable."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stanceline.domain.events import RecordedEvent

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes on every engine and every run."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(envelope: dict[str, Any], prev_hash: str) -> str:
    """The hash of an envelope (its own `hash` left out) chained to the one before it."""
    body = {k: v for k, v in envelope.items() if k != "hash"}
    body["prev_hash"] = prev_hash
    return hashlib.sha256(prev_hash.encode() + canonical_json(body)).hexdigest()


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
        if event_hash(event.envelope(), prev) != event.hash:
            return ChainReport(False, count, prev, event.position,
                               "the row's content does not match its hash")
        prev = event.hash
        expected_position += 1
        count += 1
    return ChainReport(True, count, prev)
