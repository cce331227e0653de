"""Routes of the projections: stances as of a date, history, changes, claims, the registry."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from stanceline.api.deps import ServiceDep, get_service
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
from stanceline.errors import InvalidInput

router = APIRouter(prefix="/api", tags=["stances"], responses=ERRORS)

AS_OF_HELP = ("a date: ISO (2025-02-15, 2025-02, 2025) or text ('3 February 2025', "
              "'last February'); a period means its last day. Default: today")
KNOWN_AT_HELP = ("what the log held at this time: an ISO timestamp (UTC), a date (its end) or "
                 "text. Default: now")
AsOf = Annotated[str | None, Query(max_length=200, description=AS_OF_HELP)]
KnownAt = Annotated[str | None, Query(max_length=200, description=KNOWN_AT_HELP)]
Name = Annotated[str, Query(min_length=1, max_length=200)]

# Reads are short, bounded index probes: they run on the event loop, which is cheaper than a
# hop to the thread pool and keeps the as-of hot path fast.


def _query_param(name: str, max_length: int, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", "maxLength": max_length}}


_STANCES_PARAMETERS = [
    _query_param("topic", 80, "a topic id, e.g. troops-in-ukraine"),
    _query_param("actor", 200, "an actor id or any of its names"),
    _query_param("as_of", 200, AS_OF_HELP),
    _query_param("known_at", 200, KNOWN_AT_HELP),
]


def _text(request: Request, name: str, max_length: int) -> str | None:
    value = request.query_params.get(name)
    if value is not None and len(value) > max_length:
        raise InvalidInput(f"{name}: at most {max_length} characters",
                           [{"path": f"query.{name}", "message": f"at most {max_length} chars"}])
    return value


@router.get("/stances", response_model=StancesOut,
            openapi_extra={"parameters": _STANCES_PARAMETERS})
async def stances(request: Request) -> Response:
    """Stances as of a date (`as_of`), as known at a time (`known_at`)."""
    service = await get_service(request)
    # The hot route reads its four query parameters itself and answers plain JSON: FastAPI's
    # parameter models and response validation cost more than the as-of query (the response
    # model above still documents the answer, and the parameters are declared for OpenAPI).
    # Inline even on PostgreSQL: measured, a thread hop per request halves the throughput
    # there (the round trip is short next to the hop); more processes scale it instead.
    answer = service.stances(actor=_text(request, "actor", 200),
                             topic=_text(request, "topic", 80),
                             as_of=_text(request, "as_of", 200),
                             known_at=_text(request, "known_at", 200))
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
