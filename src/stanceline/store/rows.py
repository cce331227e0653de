"""Rows of the log, read by column name, into events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stanceline.domain import jsontext
from stanceline.domain.events import RecordedEvent
from stanceline.domain.upcast import upcast
from stanceline.errors import CorruptRecord
from stanceline.store.dialect import FAR_FUTURE
from stanceline.store.schema import events
from stanceline.store.values import CoreValues, Values

EVENT_COLUMNS = (
    events.c.position, events.c.id, events.c.stream, events.c.version, events.c.type,
    events.c.schema_version, events.c.occurred, events.c.occurred_start, events.c.occurred_end,
    events.c.precision, events.c.occurred_text, events.c.relative_to, events.c.recorded_at,
    events.c.data, events.c.source, events.c.supersedes, events.c.disputed, events.c.note,
    events.c.hash, events.c.prev_hash, events.c.actor, events.c.topic, events.c.recorded_by,
)
CORE = CoreValues()


def row_to_event(row: Any, *, upcasted: bool = True, values: Values = CORE) -> RecordedEvent:
    """An event from a row of EVENT_COLUMNS (a Core row, or a driver row with the `values` of
    the dialect whose driver produced it)."""
    # Every column bound to its name at once, in EVENT_COLUMNS' order: as fast as indexing
    # (a namedtuple or a Core row's attributes cost 1-10 us more per row, on the as-of path).
    (position, event_id, stream, version, type_, schema_version, occurred, occurred_start,
     occurred_end, precision, occurred_text, relative_to, recorded_at, data_json, source_json,
     supersedes, disputed, note, hash_, prev_hash, actor, topic, recorded_by) = row
    try:
        data = jsontext.loads(data_json)
        if not isinstance(data, dict):
            raise TypeError(f"`data` holds a JSON {type(data).__name__}, not an object")
        if upcasted:
            schema_version, data = upcast(type_, schema_version, data)
        return RecordedEvent(
            position=position, id=values.read_id(event_id), stream=stream, version=version,
            type=type_, schema_version=schema_version, occurred=occurred,
            occurred_start=values.read_day(occurred_start),
            occurred_end=values.read_day(occurred_end), precision=precision,
            occurred_text=occurred_text, relative_to=relative_to,
            recorded_at=values.read_moment(recorded_at), data=data,
            source=None if source_json is None else jsontext.loads(source_json),
            supersedes=None if supersedes is None else values.read_id(supersedes),
            disputed=bool(disputed), note=note, data_json=data_json, source_json=source_json,
            hash=hash_, prev_hash=prev_hash, actor=actor, topic=topic,
            recorded_by=recorded_by,
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # Only a row written around the service reads so (the service writes what it can
        # read): one line naming the position, for `verify` and for every read that hits it.
        raise CorruptRecord(position, f"{type(exc).__name__}: {exc}") from None


def moment_bound(moment: datetime | None) -> datetime:
    """A bound for `recorded_at` in Core expressions (whose types format it per engine)."""
    return (moment or FAR_FUTURE).astimezone(UTC)
