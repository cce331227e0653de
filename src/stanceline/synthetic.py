"""A synthetic event log for benchmarks: actors x topics, mixed date precisions, retractions."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

STANCES = ("supports", "opposes", "conditional", "undecided")
ACTORS = 1_000
TOPICS = 20
FIRST_YEAR, LAST_YEAR = 2014, 2026


def actor_name(index: int) -> str:
    """The id of the synthetic actor number `index`."""
    return f"a{index:04d}"


def topic_name(index: int) -> str:
    """The id of the synthetic topic number `index`."""
    return f"t{index:02d}"


DOCUMENT = "synthetic"
QUOTES = 100


def quote(index: int) -> str:
    """The verbatim sentence of the synthetic document that event `index` quotes."""
    return f"statement {index % QUOTES}"


def directory_events(actors: int = ACTORS, topics: int = TOPICS) -> Iterator[dict[str, Any]]:
    """What the synthetic stances name, registered first: the actors, the topics, and the
    document their quotes are checked against (so a load pays for every check)."""
    namespace = uuid.UUID(int=ACTORS_NAMESPACE)
    for index in range(actors):
        name = actor_name(index)
        yield {"id": str(uuid.uuid5(namespace, name)), "type": "actor.registered",
               "data": {"actor": name, "name": f"Actor {index}", "kind": "country"}}
    for index in range(topics):
        name = topic_name(index)
        yield {"id": str(uuid.uuid5(namespace, name)), "type": "topic.defined",
               "data": {"topic": name, "title": f"Topic {index}"}}
    yield {"id": str(uuid.uuid5(namespace, DOCUMENT)), "type": "document.registered",
           "data": {"document": DOCUMENT, "title": "Synthetic statements",
                    "text": " ".join(f"{quote(k)}." for k in range(QUOTES))}}


ACTORS_NAMESPACE = 0x5_7A9C_E11E


def synthetic_events(n: int, *, actors: int = ACTORS, topics: int = TOPICS, seed: int = 7,
                     retract_every: int = 100, directory: bool = False
                     ) -> Iterator[dict[str, Any]]:
    """`n` events in the API's input form: stances over `actors` x `topics`, 1% retractions;
    with `directory`, the registrations they need come first (not counted in `n`)."""
    if directory:
        yield from directory_events(actors, topics)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    namespace = uuid.UUID(int=seed)
    recent: list[str] = []
    for i in range(n):
        event_id = str(uuid.uuid5(namespace, str(i)))
        if retract_every and i % retract_every == retract_every - 1 and recent:
            # Each event is retracted at most once (a second retraction is refused).
            target = rng.choice(recent)
            recent.remove(target)
            yield {"id": event_id, "type": "event.retracted",
                   "data": {"target": target, "reason": "synthetic correction"}}
            continue
        year = rng.randint(FIRST_YEAR, LAST_YEAR)
        precision = rng.random()
        if precision < 0.7:
            occurred = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif precision < 0.95:
            occurred = f"{year}-{rng.randint(1, 12):02d}"
        else:
            occurred = str(year)
        recent.append(event_id)
        if len(recent) > 1_000:
            recent.pop(0)
        yield {
            "id": event_id, "type": "stance.declared", "occurred": occurred,
            "data": {"actor": actor_name(rng.randrange(actors)),
                     "topic": topic_name(rng.randrange(topics)),
                     "stance": STANCES[rng.randrange(4)], "summary": "synthetic"},
            "source": {"document": DOCUMENT, "quote": quote(i)},
        }


def write_jsonl(path: Path, n: int, **kwargs: Any) -> Path:
    """Write `n` synthetic events as JSON Lines, after the registrations they need."""
    with path.open("w", encoding="utf-8") as handle:
        for event in synthetic_events(n, directory=True, **kwargs):
            handle.write(json.dumps(event, separators=(",", ":")))
            handle.write("\n")
    return path


def random_day(rng: random.Random) -> date:
    """A day of the synthetic span (the years events are dated in)."""
    first = date(FIRST_YEAR, 1, 1)
    return first + timedelta(days=rng.randrange((date(LAST_YEAR, 12, 31) - first).days + 1))


def query_space(n: int, *, actors: int = ACTORS, topics: int = TOPICS, seed: int = 29
                ) -> list[tuple[str, str, date]]:
    """`n` random (actor, topic, as_of) questions over the synthetic space."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    return [(actor_name(rng.randrange(actors)), topic_name(rng.randrange(topics)),
             random_day(rng)) for _ in range(n)]
