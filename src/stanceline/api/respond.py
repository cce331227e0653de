"""Answers on the wire: a typed answer serialised through its response model, as JSON."""

from __future__ import annotations

from fastapi import Response

from stanceline.api.models import Out


def respond(model: type[Out], answer: object, status_code: int = 200) -> Response:
    """The answer as `model` shapes it: validated from its attributes, dumped by pydantic in
    one pass (FastAPI's own response handling would dump, validate and dump again)."""
    return Response(model.wire_json(answer), status_code=status_code,
                    media_type="application/json")
