"""Unknown query parameters are a 422 naming them, never silently ignored (`?actr=fra` once
answered every actor)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from stanceline.domain.references import suggest
from stanceline.errors import InvalidInput

_DECLARED: dict[int, frozenset[str]] = {}


def declared(route: APIRoute) -> frozenset[str]:
    """The query parameters a route takes: its own and its dependencies', and those it
    documents in `openapi_extra` (the hot as-of route reads its own)."""
    names: set[str] = set()

    def walk(dependant: Dependant) -> None:
        names.update(p.alias for p in dependant.query_params)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    for param in (route.openapi_extra or {}).get("parameters", []):
        if param.get("in") == "query":
            names.add(str(param["name"]))
    return frozenset(names)


def refuse_unknown(given: set[str] | frozenset[str], allowed: frozenset[str]) -> None:
    """InvalidInput naming every parameter not in `allowed`, with the closest allowed ones."""
    unknown = sorted(given - allowed)
    if not unknown:
        return
    choices = {name: () for name in allowed}
    errors: list[dict[str, object]] = []
    for name in unknown:
        close = suggest(name, choices) if choices else ()
        errors.append({"path": f"query.{name}", "message": "unknown query parameter",
                       "matches": [c.split("`")[1] for c in close]})
    first = errors[0]
    hint = f"; did you mean `{first['matches'][0]}`?" if first["matches"] else ""  # type: ignore[index]
    takes = ", ".join(f"`{n}`" for n in sorted(allowed)) or "none"
    plural = "s" if len(unknown) > 1 else ""
    raise InvalidInput(f"unknown query parameter{plural} {', '.join(f'`{u}`' for u in unknown)}"
                       f"{hint} (this route takes {takes})", errors)


def refuse_nul(params: Iterable[tuple[str, str]]) -> None:
    """InvalidInput for a NUL character in a query value: PostgreSQL cannot take one in a
    statement's text parameter (a `q` that reached a LIKE was a 500 there, a miss on SQLite)."""
    for name, value in params:
        if "\x00" in value:
            message = "holds a NUL character (\\x00)"
            raise InvalidInput(f"{name}: {message}", [{"path": f"query.{name}",
                                                       "message": message}])


async def known_query(request: Request) -> None:
    """A router dependency: refuse the query parameters the matched route does not declare,
    and values no engine can compare."""
    if not request.query_params:
        return
    refuse_nul(request.query_params.multi_items())
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = _DECLARED.get(id(route))
    if allowed is None:
        allowed = _DECLARED[id(route)] = declared(route)
    refuse_unknown(set(request.query_params.keys()), allowed)
