"""The vocabularies of the page's "Add an event" form, from the payload models."""

from __future__ import annotations

from typing import Any

from stanceline.domain.payloads import PAYLOADS, StanceValue
from stanceline.service import Service

# The types the form can write: each has an actor, a topic, a speaker and a summary.
FORM_TYPES = ("stance.declared", "statement.made")


def entry_vocabulary() -> dict[str, Any]:
    """Stance values and writable types, read from the models so the form cannot drift, and
    whether the service lists registered documents (`/api/documents`) to check quotes in."""
    return {"stances": [v.value for v in StanceValue],
            "types": [t for t in FORM_TYPES if t in PAYLOADS],
            "documents": callable(getattr(Service, "documents", None))}
