"""Upcasters: old schema versions of a payload are brought to the current one when read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# (type, schema_version) -> function producing the data of schema_version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcast(type_name: str, version: int, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Apply upcasters in turn until no newer version is known."""
    while (step := UPCASTERS.get((type_name, version))) is not None:
        data = step(data)
        version += 1
    return version, data
