"""Routes of the registered source documents: the list, one with its text and its citations.

Documents are registered like any event (`POST /api/events` with `document.registered`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from stanceline.api.models import ERRORS, DocumentDetailOut, DocumentsOut
from stanceline.api.respond import respond
from stanceline.api.tables import CSV_RESPONSES, FORMAT_HELP, respond_table
from stanceline.deps import ServiceDep

router = APIRouter(prefix="/api", tags=["documents"], responses=ERRORS)

Format = Annotated[Literal["json", "csv"] | None, Query(description=FORMAT_HELP)]


@router.get("/documents", response_model=DocumentsOut, responses=CSV_RESPONSES)
def documents(service: ServiceDep, request: Request,
              publisher: Annotated[str | None, Query(max_length=300)] = None,
              from_: Annotated[str | None, Query(alias="from", description=(
                  "published on or after (a date or text; a publication known to its month "
                  "overlaps every day of it)"))] = None,
              to: Annotated[str | None, Query(description="published on or before")] = None,
              format: Format = None) -> Response:
    """Registered documents in order of registration, filtered by publisher (case ignored)
    and publication date."""
    return respond_table(DocumentsOut, service.documents(publisher, from_, to), request,
                         format)


@router.get("/documents/{document}", response_model=DocumentDetailOut)
def document(service: ServiceDep, document: str,
             limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000) -> Response:
    """One document: its metadata, its text, and the events citing it (the first `limit`)."""
    answer = service.document(document, limit)
    return respond(DocumentDetailOut, DocumentDetailOut.shape(answer))
