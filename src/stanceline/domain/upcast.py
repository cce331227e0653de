"""Upcasters: old schema versions of a payload are brought to the current one when read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]



def _stance_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 kept conditions as plain words; what they depend on was never recorded, so
    # `on` stays unknown rather than guessed (projections then key them by their words).
    conditions = [{"on": None, "text": str(c)} for c in data.get("conditions") or []]
    return {**data, "conditions": conditions, "dropped": list(data.get("dropped") or [])}


# (type, schema_version) -> function producing the data of schema_version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("stance.declared", 1): _stance_v1_to_v2,
}


def upcast(type_name: str, version: int, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Apply upcasters in turn until no newer version is known."""
    while (step := UPCASTERS.get((type_name, version))) is not None:
        data = step(data)
        version += 1
    return version, data
