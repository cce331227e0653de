"""The service's seam is typed: its public methods name no `dict[str, Any]`, and every answer
with a wire shape has its response model."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator, Mapping
from typing import Any, get_args, get_origin

from stanceline import answers
from stanceline.api.models import SHAPES
from stanceline.service import Service

UNTYPED = {dict, typing.Dict, Mapping, typing.Mapping}  # noqa: UP006


def _parts(hint: object) -> Iterator[object]:
    """A type hint and every type nested in it (`list[dict[str, Any]]` -> list, dict, ...)."""
    yield hint
    for arg in get_args(hint):
        yield from _parts(arg)


def _untyped(hint: object) -> bool:
    """Whether a hint is a string-keyed mapping of anything: `dict[str, Any]` and kin."""
    return get_origin(hint) in UNTYPED and get_args(hint) == (str, Any)


def public_signatures() -> Iterator[tuple[str, str, object]]:
    for name, member in inspect.getmembers(Service, callable):
        if name.startswith("_"):
            continue
        for param, hint in typing.get_type_hints(member).items():
            yield name, param, hint


def test_the_service_names_no_dict_of_anything_in_its_public_signatures() -> None:
    found = [(method, param) for method, param, hint in public_signatures()
             if any(_untyped(part) for part in _parts(hint))]
    assert found == []


def test_the_check_sees_what_it_looks_for() -> None:
    assert _untyped(dict[str, Any]) and _untyped(typing.Dict[str, Any])  # noqa: UP006
    assert _untyped(Mapping[str, Any])
    assert any(_untyped(p) for p in _parts(list[dict[str, Any]] | None))
    assert not _untyped(dict[str, int])
    # The reads are all there: a method that lost its annotations would slip through.
    checked = {method for method, param, _ in public_signatures() if param == "return"}
    assert {"stances", "history", "changes", "claims", "actors", "actor", "topics",
            "timeline", "seed", "live_feed", "load"} <= checked


def test_every_answer_with_a_wire_shape_has_its_response_model() -> None:
    assert set(SHAPES) == set(get_args(answers.Answer))
