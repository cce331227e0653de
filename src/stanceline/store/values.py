"""How the values of the log's rows are read back: from Core rows, or a driver's raw rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Protocol


def to_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every recording time is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Values(Protocol):
    """How the values of one kind of row are read: Core rows, or one driver's raw rows."""

    def read_id(self, value: Any) -> str:
        """An event id as its canonical text."""
        ...

    def read_day(self, value: Any) -> date | None:
        """A calendar date."""
        ...

    def read_moment(self, value: Any) -> datetime:
        """A recording time, in UTC."""
        ...


class CoreValues:
    """Reading values SQLAlchemy's column types have already converted (Core rows)."""

    @staticmethod
    def read_id(value: Any) -> str:
        """Event ids come back as canonical text (see schema.EventId)."""
        return str(value)

    @staticmethod
    def read_day(value: Any) -> date | None:
        """Dates come back as dates."""
        return value  # type: ignore[no-any-return]

    @staticmethod
    def read_moment(value: Any) -> datetime:
        """Timestamps come back as datetimes, naive on SQLite."""
        return to_utc(value)
