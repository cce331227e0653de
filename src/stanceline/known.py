"""What reads may name: the actors, topics and claim subjects the log knows, by id or name.

Every read resolves its names here, so that a typo is a NotFound with the closest matches
instead of a confident empty answer (`topic=troops` once answered `unknown, certain`).

"Known" is what the directory registers, plus what the log's stances and claims name (a log
written before references were checked may name an actor it never registered). The sets are
cached: a hit costs a dict lookup (the as-of route stays one probe); a miss, or a hit on a
cache older than `TTL` seconds, compares the log's head and rebuilds only if it moved, so a
registration appended (or retracted) by another process is seen on the next miss or within
`TTL` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from stanceline.domain.names import fold
from stanceline.errors import InvalidInput, NotFound
from stanceline.store import EventStore

TTL = 2.0


@dataclass(frozen=True, slots=True)
class Names:
    """Ids of one kind, each with the names it goes by (its first name is its label), and
    every id, name and alias folded (a miss must stay cheap: it is what a typo costs)."""

    ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    folded: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, ids: dict[str, tuple[str, ...]]) -> Names:
        """The names and their folded index."""
        index: dict[str, set[str]] = {}
        for ident, names in ids.items():
            for label in (ident, *names):
                index.setdefault(fold(label), set()).add(ident)
        return cls(ids, {k: tuple(sorted(v)) for k, v in index.items()})

    def closest(self, name: str, limit: int = 3) -> list[str]:
        """Up to `limit` ids whose id, name or alias is closest to `name`, each as
        "`deu` (Germany)" (`references.suggest`'s scoring, on the folded index)."""
        best: list[str] = []
        labels = list(self.folded)
        for label, _score, _index in process.extract(fold(name), labels, scorer=fuzz.WRatio,
                                                   limit=limit * 4, score_cutoff=60):
            for ident in self.folded[str(label)]:
                if ident not in best:
                    best.append(ident)
            if len(best) >= limit:
                break
        return [f"`{i}` ({self.ids[i][0]})" if self.ids[i] else f"`{i}`"
                for i in best[:limit]]

    def by_name(self, name: str) -> list[str]:
        """The ids whose id, name or alias folds to `name`'s fold."""
        return list(self.folded.get(fold(name), ()))


@dataclass(frozen=True, slots=True)
class Snapshot:
    head: int
    at: float
    actors: Names
    topics: Names
    subjects: Names
    documents: Names


class KnownNames:
    """The cached sets of `stanceline.known`, resolving names for one store."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def _current(self, *, missed: bool = False) -> Snapshot:
        snap = self._snapshot
        if snap is not None and not missed and time.monotonic() - snap.at < TTL:
            return snap
        with self._lock:
            head = self.store.head()
            snap = self._snapshot
            if snap is None or snap.head != head:
                snap = self._build(head)
            else:
                snap = Snapshot(snap.head, time.monotonic(), snap.actors, snap.topics,
                                snap.subjects, snap.documents)
            self._snapshot = snap
            return snap

    def _build(self, head: int) -> Snapshot:
        actors: dict[str, tuple[str, ...]] = {a.actor: (a.name, *a.aliases)
                                              for a in self.store.actors()}
        topics: dict[str, tuple[str, ...]] = {t.topic: (t.title,) for t in self.store.topics()}
        for actor, topic in self.store.stance_pairs():
            actors.setdefault(actor, ())
            topics.setdefault(topic, ())
        subjects: dict[str, tuple[str, ...]] = {}
        for claim in self.store.claims(None, None):
            subject = claim.data.get("subject")
            if subject:
                subjects.setdefault(str(subject), ())
        documents: dict[str, tuple[str, ...]] = {d.document: (d.title,)
                                                 for d in self.store.documents()}
        return Snapshot(head, time.monotonic(), Names.of(actors), Names.of(topics),
                        Names.of(subjects), Names.of(documents))

    def actor(self, name: str, field_name: str = "actor") -> str:
        """An actor id from its id or any name or alias ("France", "germany", "Kir Starmer")."""
        return self._resolve("actor", name, field_name, lambda s: s.actors)

    def topic(self, name: str, field_name: str = "topic") -> str:
        """A topic id from its id or its title."""
        return self._resolve("topic", name, field_name, lambda s: s.topics)

    def subject(self, name: str, field_name: str = "subject") -> str:
        """A subject some claim is about (`force-size`)."""
        return self._resolve("subject", name, field_name, lambda s: s.subjects)

    def document(self, name: str, field_name: str = "document") -> str:
        """A registered document's id from its id or title."""
        return self._resolve("document", name, field_name, lambda s: s.documents)

    def _resolve(self, kind: str, name: str, field_name: str,
                 pick: Callable[[Snapshot], Names]) -> str:
        if name in pick(self._current()).ids:
            return name
        names = pick(self._current(missed=True))
        if name in names.ids:
            return name
        found = names.by_name(name)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InvalidInput(f"{name!r} is ambiguous: it may be {', '.join(found)}",
                               [{"path": f"query.{field_name}", "message": "ambiguous name",
                                 "matches": found}])
        close = names.closest(name)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NotFound(f"no {kind} `{name}`{hint}",
                       [{"path": f"query.{field_name}", "message": f"unknown {kind}",
                         "matches": [c.split("`")[1] for c in close]}])
