"""The directory's entries: registered actors and defined topics, as every store answers them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActorEntry:
    """One registered actor as the remaining registry events say it is."""

    actor: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    represents: str | None
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicEntry:
    """One defined topic."""

    topic: str
    title: str
    description: str
