"""Routes of the projections: stances as of a date, history, changes, claims, the registry."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from stanceline.api.models import (
    ERRORS,
    ActorDetailOut,
    ActorsOut,
    ChangesOut,
    ClaimsOut,
    HistoryOut,
    PanelOut,
    StancesLeanOut,
    StancesOut,
    TopicsOut,
)
from stanceline.api.params import known_query, refuse_unknown
from stanceline.api.respond import respond
from stanceline.api.tables import CSV_RESPONSES, FORMAT_HELP, respond_table, wants_csv
from stanceline.deps import ServiceDep, get_service
from stanceline.errors import InvalidInput
from stanceline.offload import heavy
from stanceline.service import Service

# Every route refuses the query parameters it does not declare; the hot as-of route, on a
# router of its own, does it inline (a set comparison, not a dependency to solve per request).
router = APIRouter(prefix="/api", tags=["stances"], responses=ERRORS,
                   dependencies=[Depends(known_query)])
hot_router = APIRouter(prefix="/api", tags=["stances"], responses=ERRORS)

AS_OF_HELP = ("a date: ISO (2025-02-15, 2025-02, 2025) or text ('3 February 2025', "
              "'last February'); a period means its last day. Default: today")
KNOWN_AT_HELP = ("what the log held at this time: an ISO timestamp (UTC), a date (its end) or "
                 "text. Default: now")
AsOf = Annotated[str | None, Query(max_length=200, description=AS_OF_HELP)]
KnownAt = Annotated[str | None, Query(max_length=200, description=KNOWN_AT_HELP)]
Name = Annotated[str, Query(min_length=1, max_length=200)]
Format = Annotated[Literal["json", "csv"] | None, Query(description=FORMAT_HELP)]

# The single-pair as-of probe is a short, bounded index probe: it runs on the event loop,
# which is cheaper than a hop to the thread pool. Every other read may scan (a matrix, a
# history, the moves between two dates): those run in the thread pool, so that one long answer
# never holds up the requests behind it; the ones whose work grows with the log (a matrix, the
# moves, the claims, the panel) also share the heavy-read limiter (stanceline.offload), so that
# ten of them at once do not starve the event loop of the GIL.


EVIDENCE_FORMS = ("ids", "full")
EVIDENCE_HELP = ("`full`: each stance carries its evidence (`evidence`); `ids`: only their ids "
                 "(`evidence_ids`). Default: `full` for an actor's answer, `ids` for a matrix "
                 "(no `actor`), whose full evidence is most of its size. CSV is always full")


def _query_param(name: str, max_length: int, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", "maxLength": max_length}}


_STANCES_PARAMETERS = [
    _query_param("topic", 80, "a topic id or its title, e.g. troops-in-ukraine"),
    _query_param("actor", 200, "an actor id or any of its names"),
    _query_param("as_of", 200, AS_OF_HELP),
    _query_param("known_at", 200, KNOWN_AT_HELP),
    _query_param("reported_by", 200, "count only events whose source was published by this "
                                     "date (ISO or text); a source dated only to a month is "
                                     "possible inside that month"),
    {"name": "format", "in": "query", "required": False, "description": FORMAT_HELP,
     "schema": {"type": "string", "enum": ["json", "csv"]}},
    {"name": "evidence", "in": "query", "required": False, "description": EVIDENCE_HELP,
     "schema": {"type": "string", "enum": list(EVIDENCE_FORMS)}},
]


_STANCES_QUERY = frozenset(p["name"] for p in _STANCES_PARAMETERS)


def _text(request: Request, name: str, max_length: int) -> str | None:
    value = request.query_params.get(name)
    if value is not None and len(value) > max_length:
        raise InvalidInput(f"{name}: at most {max_length} characters",
                           [{"path": f"query.{name}", "message": f"at most {max_length} chars"}])
    return value


@hot_router.get("/stances", response_model=StancesOut | StancesLeanOut, responses=CSV_RESPONSES,
                openapi_extra={"parameters": _STANCES_PARAMETERS})
async def stances(request: Request) -> Response:
    """Stances as of a date (`as_of`), as known at a time (`known_at`)."""
    service = await get_service(request)
    # The hot route reads its four query parameters itself: FastAPI's parameter models and
    # response handling cost more than the as-of query (the response model above still
    # documents the answer and shapes it, and the parameters are declared for OpenAPI).
    # Its unknown parameters are refused here, not by the routers' dependency (one set
    # comparison instead of a dependency FastAPI would solve on every request).
    if not _STANCES_QUERY.issuperset(request.query_params.keys()):
        refuse_unknown(set(request.query_params.keys()), _STANCES_QUERY)
    actor = _text(request, "actor", 200)
    topic = _text(request, "topic", 80)
    as_of = _text(request, "as_of", 200)
    known_at = _text(request, "known_at", 200)
    reported_by = _text(request, "reported_by", 200)
    format = _text(request, "format", 4)
    evidence = _text(request, "evidence", 4)
    if evidence is not None and evidence not in EVIDENCE_FORMS:
        raise InvalidInput(f"evidence: one of {', '.join(EVIDENCE_FORMS)}, not {evidence!r}",
                           [{"path": "query.evidence", "message": "ids or full"}])
    if actor is not None and topic is not None:
        # One pair: inline even on PostgreSQL. Measured, a thread hop per request halves the
        # throughput there (the round trip is short next to the hop); more processes scale it.
        answer = service.stances(actor=actor, topic=topic, as_of=as_of, known_at=known_at,
                                 reported_by=reported_by)
        if evidence == "ids" and not wants_csv(format, request.headers.get("accept")):
            return respond(StancesLeanOut, answer)
        return respond_table(StancesOut, answer, request, format)
    # A matrix (a topic's, an actor's or all pairs): one set-based read, off the event loop.
    # Without an actor its answer is lean by default (its full evidence is most of its bytes).
    lean = (evidence or ("full" if actor is not None else "ids")) == "ids"
    return await heavy(_stances, service, request, actor, topic, as_of, known_at, reported_by,
                       format, lean)


def _stances(service: Service, request: Request, actor: str | None, topic: str | None,
             as_of: str | None, known_at: str | None, reported_by: str | None,
             format: str | None, lean: bool) -> Response:
    answer = service.stances(actor=actor, topic=topic, as_of=as_of, known_at=known_at,
                             reported_by=reported_by)
    if lean and not wants_csv(format, request.headers.get("accept")):
        return respond(StancesLeanOut, answer)
    return respond_table(StancesOut, answer, request, format)


@router.get("/history", response_model=HistoryOut, responses=CSV_RESPONSES)
def history(service: ServiceDep, request: Request, actor: Name, topic: Name,
            known_at: KnownAt = None, format: Format = None) -> Response:
    """Each change of an actor's stance on a topic, with its evidence."""
    return respond_table(HistoryOut, service.history(actor, topic, known_at), request, format)


@router.get("/changes", response_model=ChangesOut, response_model_by_alias=True,
            responses=CSV_RESPONSES)
async def changes(service: ServiceDep, request: Request,
                  from_: Annotated[str, Query(alias="from", min_length=1, max_length=200)],
                  to: AsOf = None, topic: Annotated[str | None, Query(max_length=80)] = None,
                  known_at: KnownAt = None, format: Format = None) -> Response:
    """Who moved between two dates: before, after, evidence."""
    return await heavy(lambda: respond_table(
        ChangesOut, service.changes(from_, to, topic, known_at), request, format))


@router.get("/claims", response_model=ClaimsOut, responses=CSV_RESPONSES)
async def claims(service: ServiceDep, request: Request,
                 subject: Annotated[str | None, Query(max_length=80)] = None,
                 as_of: AsOf = None, known_at: KnownAt = None, format: Format = None
                 ) -> Response:
    """Numbers claimed (e.g. `force-size`), by whom and when."""
    return await heavy(lambda: respond_table(
        ClaimsOut, service.claims(subject, as_of, known_at), request, format))


@router.get("/panel", response_model=PanelOut, response_model_by_alias=True,
            responses=CSV_RESPONSES)
async def panel(service: ServiceDep, request: Request,
          from_: Annotated[str, Query(alias="from", min_length=1, max_length=200,
                                      description="the first period holds this date")],
          to: Annotated[str | None, Query(max_length=200, description=(
              "the last period holds this date, and is taken as of it. Default: today"))
                        ] = None,
          topic: Annotated[str | None, Query(max_length=80, description=(
              "a topic id; default: every topic"))] = None,
          every: Annotated[Literal["month", "quarter", "year"], Query(
              description="the period: month (`2025-02`), quarter (`2025-Q1`), year")
                           ] = "month",
          actor: Annotated[str | None, Query(max_length=200, description=(
              "one actor (an id or any of its names); default: every actor with a stance"))
                           ] = None,
          known_at: KnownAt = None, format: Format = None) -> Response:
    """The stance panel: one row per actor and period, the stance as of the period's end and
    whether it is certain (at most 600 periods)."""
    return await heavy(lambda: respond_table(PanelOut, service.panel(
        from_, to, topic=topic, every=every, actor=actor, known_at=known_at), request, format))


@router.get("/actors", response_model=ActorsOut, responses=CSV_RESPONSES)
def actors(service: ServiceDep, request: Request,
           q: Annotated[str | None, Query(max_length=200)] = None,
           format: Format = None) -> Response:
    """Actors with their aliases; `q` matches names and aliases (case and accents ignored)."""
    return respond_table(ActorsOut, service.actors(q), request, format)


@router.get("/actors/{actor}", response_model=ActorDetailOut)
def actor(service: ServiceDep, actor: str) -> Response:
    """One actor, with its stances as of today."""
    return respond(ActorDetailOut, service.actor(actor))


@router.get("/topics", response_model=TopicsOut, responses=CSV_RESPONSES)
def topics(service: ServiceDep, request: Request, format: Format = None) -> Response:
    """Every topic."""
    return respond_table(TopicsOut, service.topics(), request, format)
