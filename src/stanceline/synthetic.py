"""A synthetic event log for benchmarks: actors x topics, mixed date precisions, retractions."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STANCES = ("supports", "opposes", "conditional", "undecided")


def synthetic_events(n: int, *, actors: int = 1_000, topics: int = 20, seed: int = 7,
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
        year = rng.randint(2014, 2026)
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
            "data": {"actor": f"a{rng.randrange(actors):04d}",
                     "topic": f"t{rng.randrange(topics):02d}",
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
