"""Routes of the projections: stances as of a date, history, changes, claims, the registry."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from stanceline.api.deps import ServiceDep
from stanceline.api.models import (
    ERRORS,
    ActorDetailOut,
    ActorsOut,
    ChangesOut,
    ClaimsOut,
    HistoryOut,
    StancesOut,
    TopicsOut,
)

router = APIRouter(prefix="/api", tags=["stances"], responses=ERRORS)

AsOf = Annotated[str | None, Query(
    max_length=200, description="a date: ISO (2025-02-15, 2025-02, 2025) or text "
                                "('3 February 2025', 'last February'); a period means its "
                                "last day. Default: today")]
KnownAt = Annotated[str | None, Query(
    max_length=200, description="what the log held at this time: an ISO timestamp (UTC), a "
                                "date (its end) or text. Default: now")]
Name = Annotated[str, Query(min_length=1, max_length=200)]

# Reads are short, bounded index probes: they run on the event loop, which is cheaper than a
# hop to the thread pool and keeps the as-of hot path fast.


@router.get("/stances", response_model=StancesOut)
async def stances(service: ServiceDep, topic: Annotated[str | None, Query(max_length=80)] = None,
                  actor: Annotated[str | None, Query(max_length=200)] = None,
                  as_of: AsOf = None, known_at: KnownAt = None) -> Response:
    """Stances as of a date (`as_of`), as known at a time (`known_at`)."""
    answer = service.stances(actor=actor, topic=topic, as_of=as_of, known_at=known_at)
    # The hot route: the answer is plain JSON data already, so it skips FastAPI's validation
    # and encoding against the response model (which still documents it).
    return Response(json.dumps(answer, ensure_ascii=False, separators=(",", ":")),
                    media_type="application/json")


@router.get("/history", response_model=HistoryOut)
async def history(service: ServiceDep, actor: Name, topic: Name,
                  known_at: KnownAt = None) -> dict[str, Any]:
    """Each change of an actor's stance on a topic, with its evidence."""
    return service.history(actor, topic, known_at)


@router.get("/changes", response_model=ChangesOut, response_model_by_alias=True)
async def changes(service: ServiceDep,
                  from_: Annotated[str, Query(alias="from", min_length=1, max_length=200)],
                  to: AsOf = None, topic: Annotated[str | None, Query(max_length=80)] = None,
                  known_at: KnownAt = None) -> dict[str, Any]:
    """Who moved between two dates: before, after, evidence."""
    return service.changes(from_, to, topic, known_at)


@router.get("/claims", response_model=ClaimsOut)
async def claims(service: ServiceDep,
                 subject: Annotated[str | None, Query(max_length=80)] = None,
                 as_of: AsOf = None, known_at: KnownAt = None) -> dict[str, Any]:
    """Numbers claimed (e.g. `force-size`), by whom and when."""
    return service.claims(subject, as_of, known_at)


@router.get("/actors", response_model=ActorsOut)
async def actors(service: ServiceDep,
                 q: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    """Actors with their aliases; `q` matches names and aliases (case and accents ignored)."""
    return service.actors(q)


@router.get("/actors/{actor}", response_model=ActorDetailOut)
async def actor(service: ServiceDep, actor: str) -> dict[str, Any]:
    """One actor, with its stances as of today."""
    return service.actor(actor)


@router.get("/topics", response_model=TopicsOut)
async def topics(service: ServiceDep) -> dict[str, Any]:
    """Every topic."""
    return service.topics()
