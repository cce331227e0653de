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


def synthetic_events(n: int, *, actors: int = ACTORS, topics: int = TOPICS, seed: int = 7,
                     retract_every: int = 100) -> Iterator[dict[str, Any]]:
    """`n` events in the API's input form: stances over `actors` x `topics`, 1% retractions."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    namespace = uuid.UUID(int=seed)
    recent: list[str] = []
    for i in range(n):
        event_id = str(uuid.uuid5(namespace, str(i)))
        if retract_every and i % retract_every == retract_every - 1 and recent:
            yield {"id": event_id, "type": "event.retracted",
                   "data": {"target": rng.choice(recent), "reason": "synthetic correction"}}
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
            "source": {"document": "synthetic", "quote": f"statement {i}"},
        }


def write_jsonl(path: Path, n: int, **kwargs: Any) -> Path:
    """Write `n` synthetic events as JSON Lines."""
    with path.open("w", encoding="utf-8") as handle:
        for event in synthetic_events(n, **kwargs):
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
