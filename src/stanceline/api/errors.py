"""The one table from error types to HTTP statuses, and the handlers that apply it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stanceline.api.models import ErrorOut
from stanceline.domain.payloads import PAYLOADS
from stanceline.errors import (
    Busy,
    CorruptRecord,
    IdConflict,
    InvalidInput,
    LimitExceeded,
    NotFound,
    PayloadTooLarge,
    RegistryConflict,
    StancelineError,
    Unauthorized,
    VersionConflict,
)
from stanceline.ingest import validation_errors

# Most specific first: the first matching row decides.
STATUS: tuple[tuple[type[StancelineError], int], ...] = (
    (LimitExceeded, 422),
    (InvalidInput, 422),
    (NotFound, 404),
    (VersionConflict, 409),
    (IdConflict, 409),
    (RegistryConflict, 409),
    (Unauthorized, 401),
    (PayloadTooLarge, 413),
    (Busy, 503),
    # Not the caller's fault: the store was changed around the service (`verify` names it).
    (CorruptRecord, 500),
    (StancelineError, 400),
)


def error_body(kind: str, detail: str, errors: list[dict[str, Any]] | None = None
               ) -> dict[str, Any]:
    """The error shape of every response: `{"error", "detail"}` (+ `errors` with paths)."""
    body: dict[str, Any] = {"error": kind, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def field_path(loc: Any) -> str:
    """`body.events.0.stance.declared.data.stance` -> `events.0.data.stance`."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["body"] and len(parts) > 1:
        parts = parts[1:]
    return ".".join(p for p in parts if p not in PAYLOADS)


def _json_error(error: Any, body: Any) -> dict[str, Any]:
    """Invalid JSON in a request body: where (line and column) and what was expected."""
    loc = error.get("loc", ())
    pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body or "")
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    reason = str((error.get("ctx") or {}).get("error") or "invalid JSON")
    return {"path": "body", "line": line, "column": column,
            "message": f"invalid JSON at line {line}, column {column}: {reason}"}


# Payload fields that name an actor or a topic by id (a list's items as well).
_REFERENCES = {"actor": "actor", "speaker": "actor", "represents": "actor",
               "participants": "actor", "signatories": "actor", "members": "actor",
               "topic": "topic", "on": "topic", "dropped": "topic"}


def _name_help(request: Request, error: Any) -> dict[str, Any] | None:
    """A name where an id is expected (`"actor": "Germany"`): the id it stands for, or the
    closest ones, as an unregistered id gets."""
    if error.get("type") != "string_pattern_mismatch":
        return None
    path = field_path(error.get("loc", ()))
    parts = [p for p in path.split(".") if not p.isdigit()]
    kind = _REFERENCES.get(parts[-1]) if len(parts) > 2 and parts[-2:-1] != ["source"] else None
    value = error.get("input")
    service = getattr(request.app.state, "service", None)
    if kind is None or not isinstance(value, str) or service is None:
        return None
    try:
        ident = service.known.actor(value) if kind == "actor" else service.known.topic(value)
    except (NotFound, InvalidInput) as exc:
        matches = [m for e in exc.errors for m in e.get("matches", ())]  # type: ignore[attr-defined]
        hint = f"; did you mean {', '.join(f'`{m}`' for m in matches)}?" if matches else ""
        article = "an" if kind == "actor" else "a"
        return {"path": path, "message": f"`{value}` is not {article} {kind} id{hint}",
                "matches": matches}
    return {"path": path, "message": f"`{value}` is a name, not an id: did you mean "
                                     f"`{ident}`?", "matches": [ident]}


def status_of(exc: StancelineError) -> int:
    """The HTTP status of a domain error."""
    return next(code for kind, code in STATUS if isinstance(exc, kind))


def _openapi_with_our_errors(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI documents 422 as its own `HTTPValidationError`; ours is the error body above."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas["ErrorOut"] = ErrorOut.model_json_schema(
                ref_template="#/components/schemas/{model}")
            for path in spec.get("paths", {}).values():
                for operation in path.values():
                    invalid = operation.get("responses", {}).get("422")
                    if invalid is not None:
                        invalid["content"] = {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ErrorOut"}}}
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            app.openapi_schema = spec
        return app.openapi_schema

    return openapi


def install(app: FastAPI) -> None:
    """Register the handlers so that no error leaves the API as a 500 with a traceback."""
    app.openapi = _openapi_with_our_errors(app)  # type: ignore[method-assign]

    @app.exception_handler(StancelineError)
    async def _domain(_: Request, exc: StancelineError) -> JSONResponse:
        errors = exc.errors if isinstance(exc, InvalidInput | NotFound) else None
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return JSONResponse(error_body(type(exc).__name__, exc.detail, errors),
                            status_code=status_of(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_json_error(e, exc.body) if e.get("type") == "json_invalid" else
                  _name_help(request, e) or
                  {"path": field_path(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:3])
        if len(errors) > 3:
            detail += f" (and {len(errors) - 3} more)"
        return JSONResponse(error_body("InvalidInput", detail or "invalid request", errors),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
        return JSONResponse(error_body(names.get(exc.status_code, "HTTPError"), str(exc.detail)),
                            status_code=exc.status_code, headers=exc.headers)


__all__ = ["error_body", "install", "status_of", "validation_errors"]
