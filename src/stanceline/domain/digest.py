"""Canonical JSON and the content digest of an event: what the hash chain links together."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Protocol

from stanceline.domain import jsontext


class Content(Protocol):
    """The fields of an event that its digest covers (everything but its place in the log)."""

    @property
    def id(self) -> str: ...
    @property
    def stream(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def schema_version(self) -> int: ...
    @property
    def occurred(self) -> str | None: ...
    @property
    def occurred_start(self) -> date | None: ...
    @property
    def occurred_end(self) -> date | None: ...
    @property
    def precision(self) -> str | None: ...
    @property
    def occurred_text(self) -> str | None: ...
    @property
    def relative_to(self) -> str | None: ...
    @property
    def supersedes(self) -> str | None: ...
    @property
    def disputed(self) -> bool: ...
    @property
    def note(self) -> str | None: ...
    @property
    def data_json(self) -> str: ...
    @property
    def source_json(self) -> str | None: ...
    @property
    def recorded_by(self) -> str | None: ...


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace, unescaped UTF-8: the same text on every engine and run."""
    return jsontext.dumps(value, sort_keys=True)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def content_digest(event: Content) -> str:
    """SHA-256 of an event's content: its fields' canonical JSON, then `data` and `source`
    exactly as stored, so verifying never depends on re-serialising what was read back."""
    head = [event.id, event.stream, event.type, event.schema_version, event.occurred,
            _iso(event.occurred_start), _iso(event.occurred_end), event.precision,
            event.occurred_text, event.relative_to, event.supersedes, event.disputed, event.note]
    # Appended only when set, so the digests of events recorded before names existed stay.
    if event.recorded_by is not None:
        head.append(event.recorded_by)
    digest = hashlib.sha256(canonical(head).encode())
    digest.update(b"\n")
    digest.update(event.data_json.encode())
    digest.update(b"\n")
    digest.update((event.source_json or "null").encode())
    return digest.hexdigest()


def link_hash(prev_hash: str, position: int, version: int, recorded_at: str,
              content: str) -> str:
    """The chain hash of an event: its content digest bound to its place and time in the log."""
    return hashlib.sha256(
        f"{prev_hash}\n{position}\n{version}\n{recorded_at}\n{content}".encode()).hexdigest()
