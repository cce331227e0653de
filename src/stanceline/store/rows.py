"""Rows of the log, read by column name, into events."""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import UTC, datetime
from typing import Any

from stanceline.domain.events import RecordedEvent
from stanceline.domain.upcast import upcast
from stanceline.store.dialect import FAR_FUTURE, CoreValues, Values
from stanceline.store.schema import events

EVENT_COLUMNS = (
    events.c.position, events.c.id, events.c.stream, events.c.version, events.c.type,
    events.c.schema_version, events.c.occurred, events.c.occurred_start, events.c.occurred_end,
    events.c.precision, events.c.occurred_text, events.c.relative_to, events.c.recorded_at,
    events.c.data, events.c.source, events.c.supersedes, events.c.disputed, events.c.note,
    events.c.hash, events.c.prev_hash, events.c.actor, events.c.topic,
)
CORE = CoreValues()
# A driver row of EVENT_COLUMNS, given its names (SQLAlchemy's rows have them already).
EventRow = namedtuple("EventRow", [c.name for c in EVENT_COLUMNS])  # type: ignore[misc]


def row_to_event(row: Any, *, upcasted: bool = True,
                 values: Values = CORE) -> RecordedEvent:
    """An event from a row of EVENT_COLUMNS (a Core row, or an EventRow with the `values` of
    the dialect whose driver produced it)."""
    data_json: str = row.data
    source_json: str | None = row.source
    data = json.loads(data_json)
    schema_version: int = row.schema_version
    if upcasted:
        schema_version, data = upcast(row.type, schema_version, data)
    supersedes = row.supersedes
    return RecordedEvent(
        position=row.position, id=values.read_id(row.id), stream=row.stream,
        version=row.version, type=row.type, schema_version=schema_version,
        occurred=row.occurred, occurred_start=values.read_day(row.occurred_start),
        occurred_end=values.read_day(row.occurred_end), precision=row.precision,
        occurred_text=row.occurred_text, relative_to=row.relative_to,
        recorded_at=values.read_moment(row.recorded_at), data=data,
        source=None if source_json is None else json.loads(source_json),
        supersedes=None if supersedes is None else values.read_id(supersedes),
        disputed=bool(row.disputed), note=row.note, data_json=data_json,
        source_json=source_json, hash=row.hash, prev_hash=row.prev_hash, actor=row.actor,
        topic=row.topic,
    )


def moment_bound(moment: datetime | None) -> datetime:
    """A bound for `recorded_at` in Core expressions (whose types format it per engine)."""
    return (moment or FAR_FUTURE).astimezone(UTC)
