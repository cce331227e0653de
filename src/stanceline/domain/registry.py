"""The registry as a fold: what the remaining registration and update events say.

The directory tables are recomputed from these folds for every id an event touches, so a
retraction of a registration or an update gives back exactly what the other events say, and
`rebuild` gives the same answer as appending did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from stanceline.domain.directory import ActorEntry, TopicEntry

ACTOR_REGISTERED = "actor.registered"
ACTOR_UPDATED = "actor.updated"
TOPIC_DEFINED = "topic.defined"
TOPIC_UPDATED = "topic.updated"
DOCUMENT_REGISTERED = "document.registered"
ACTOR_TYPES = frozenset({ACTOR_REGISTERED, ACTOR_UPDATED})
TOPIC_TYPES = frozenset({TOPIC_DEFINED, TOPIC_UPDATED})

_ACTOR_FIELDS = ("name", "kind", "aliases", "members", "represents")
_TOPIC_FIELDS = ("title", "description")


@dataclass(frozen=True, slots=True)
class Entry:
    """One registry event as the fold reads it: its type, payload and position."""

    type: str
    data: Mapping[str, Any]
    position: int


def fold_actor(entries: Iterable[Entry]) -> ActorEntry | None:
    """An actor from its remaining events in log order: a registration sets every field, an
    update only those it names; None when no registration remains."""
    actor: ActorEntry | None = None
    for entry in entries:
        data = entry.data
        if entry.type == ACTOR_REGISTERED:
            actor = ActorEntry(actor=data["actor"], name=data["name"], kind=data["kind"],
                               aliases=tuple(data.get("aliases") or ()),
                               represents=data.get("represents"),
                               members=tuple(data.get("members") or ()))
        elif entry.type == ACTOR_UPDATED and actor is not None:
            changes = {k: data[k] for k in _ACTOR_FIELDS if k in data}
            for key in ("aliases", "members"):
                if key in changes:
                    changes[key] = tuple(changes[key] or ())
            actor = replace(actor, **changes)
    return actor


def fold_topic(entries: Iterable[Entry]) -> tuple[TopicEntry, int] | None:
    """A topic and the position it lists at (its remaining definition's)."""
    topic: TopicEntry | None = None
    first = 0
    for entry in entries:
        data = entry.data
        if entry.type == TOPIC_DEFINED:
            topic = TopicEntry(topic=data["topic"], title=data["title"],
                               description=data.get("description") or "")
            first = first or entry.position
        elif entry.type == TOPIC_UPDATED and topic is not None:
            topic = replace(topic, **{k: data[k] or "" if k == "description" else data[k]
                                      for k in _TOPIC_FIELDS if k in data})
    return None if topic is None else (topic, first)


def names_of(actor: ActorEntry) -> set[str]:
    """Every name an actor goes by (id, name, aliases), unfolded."""
    return {actor.actor, actor.name, *actor.aliases}
