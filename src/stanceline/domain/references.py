"""Every actor and topic an event names must be registered first (DESIGN §3, Identifiers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from stanceline.domain.names import fold

# (path inside `data`, what it names); lists are checked item by item.
_ACTOR_FIELDS = ("actor", "speaker", "represents")
_ACTOR_LISTS = ("participants", "signatories", "members")


@dataclass(frozen=True, slots=True)
class Missing:
    """A reference to something not registered, with the closest registered ones."""

    path: str
    kind: str
    value: str
    suggestions: tuple[str, ...]

    def message(self) -> str:
        """One readable line: what is unknown and what was perhaps meant."""
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"no {self.kind} `{self.value}` is registered{hint}"


@dataclass(slots=True)
class Directory:
    """What is registered: ids with the names and aliases they go by."""

    actors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def learn(self, type_name: str, data: Mapping[str, Any]) -> None:
        """Take in a registration made earlier in the same batch."""
        if type_name == "actor.registered":
            self.actors[str(data["actor"])] = (str(data["name"]), *map(str, data["aliases"]))
        elif type_name == "topic.defined":
            self.topics[str(data["topic"])] = (str(data["title"]),)


def named(type_name: str, data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(path, kind, id) for every actor and topic an event's data refers to."""
    found: list[tuple[str, str, str]] = []
    registers = {"actor.registered": "actor", "actor.updated": "actor",
                 "topic.defined": "topic", "topic.updated": "topic"}.get(type_name)
    for key in _ACTOR_FIELDS:
        value = data.get(key)
        if value and not (registers == "actor" and key == "actor"):
            found.append((f"data.{key}", "actor", str(value)))
    for key in _ACTOR_LISTS:
        for index, value in enumerate(data.get(key) or ()):
            found.append((f"data.{key}.{index}", "actor", str(value)))
    topic = data.get("topic")
    if topic and registers != "topic":
        found.append(("data.topic", "topic", str(topic)))
    for index, condition in enumerate(data.get("conditions") or ()):
        if isinstance(condition, Mapping) and condition.get("on"):
            found.append((f"data.conditions.{index}.on", "topic", str(condition["on"])))
    for index, value in enumerate(data.get("dropped") or ()):
        found.append((f"data.dropped.{index}", "topic", str(value)))
    return found


def suggest(value: str, choices: Mapping[str, tuple[str, ...]], limit: int = 3
            ) -> tuple[str, ...]:
    """The registered ids closest to `value`, by id, name or alias: "`deu` (Germany)"."""
    labels: dict[str, str] = {}
    for ident, names in choices.items():
        for label in (ident, *names):
            labels.setdefault(fold(label), ident)
    best: list[str] = []
    for label, _score, _index in process.extract(fold(value), list(labels), scorer=fuzz.WRatio,
                                               limit=limit * 4, score_cutoff=60):
        ident = labels[str(label)]
        if ident not in best:
            best.append(ident)
        if len(best) == limit:
            break
    return tuple(f"`{i}` ({choices[i][0]})" if choices[i] else f"`{i}`" for i in best)


def missing_references(batch: Iterable[tuple[str, Mapping[str, Any]]],
                       directory: Directory) -> list[tuple[int, Missing]]:
    """Every unregistered reference in a batch of (type, data), registrations counted in order.

    `directory` is updated with the batch's own registrations.
    """
    problems: list[tuple[int, Missing]] = []
    for index, (type_name, data) in enumerate(batch):
        directory.learn(type_name, data)
        for path, kind, value in named(type_name, data):
            known = directory.actors if kind == "actor" else directory.topics
            if value not in known:
                problems.append((index, Missing(path, kind, value, suggest(value, known))))
    return problems
