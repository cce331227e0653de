"""The log's filters, declared once for every route that reads a page of the log (`GET
/api/events`, its CSV and the TimelineJS export), so the routes cannot drift apart."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

# Positions are 64-bit integers in both engines.
MAX_POSITION = 2**63 - 1


@dataclass(frozen=True)
class LogFilter:
    """What `Service.events` filters the log by (the page size is each route's own)."""

    actor: str | None
    topic: str | None
    type: str | None
    occurred_from: str | None
    occurred_to: str | None
    known_at: str | None
    recorded_by: str | None
    after: int
    include_retracted: bool

    def given(self) -> dict[str, Any]:
        """The filter as keyword arguments of `Service.events` / `Service.log_view`."""
        return asdict(self)


def log_filter(
    actor: str | None = None,
    topic: str | None = None,
    type: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    known_at: str | None = None,
    recorded_by: str | None = None,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    include_retracted: bool = False,
) -> LogFilter:
    """The log filter of a request's query parameters."""
    return LogFilter(actor, topic, type, from_, to, known_at, recorded_by, after,
                     include_retracted)


LogFilterDep = Annotated[LogFilter, Depends(log_filter)]
