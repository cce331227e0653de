"""What may enter the log: references registered, quotes verified, the registry changed only
on purpose. Pure: the store hands in what the batch's ids resolve to (`Known`), read inside
the append's own transaction, and the whole batch is checked set-wise before a row is written.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stanceline.domain.digest import content_digest
from stanceline.domain.directory import ActorEntry
from stanceline.domain.events import PreparedEvent, RecordedEvent, compact_json, verified
from stanceline.domain.names import fold
from stanceline.domain.quotes import closest_passage
from stanceline.domain.references import suggest
from stanceline.domain.registry import (
    ACTOR_REGISTERED,
    ACTOR_UPDATED,
    DOCUMENT_REGISTERED,
    TOPIC_DEFINED,
    TOPIC_UPDATED,
)
from stanceline.errors import InvalidInput, RegistryConflict

Choices = Mapping[str, tuple[str, ...]]


@dataclass(slots=True)
class Known:
    """What the ids a batch names stand for in the log, as the store read it.

    `actors`, `topics` and `documents` hold only the ids the batch touches; `holders` maps
    the folded names the batch registers to the actor already holding each. `choices` reads
    the whole directory, for suggestions, only when something is missing.
    """

    actors: dict[str, ActorEntry]
    topics: set[str]
    # document id -> its text, normalised for quote checks (`quotes.normalise`), and as written.
    documents: dict[str, str]
    originals: dict[str, str]
    holders: dict[str, str]
    choices: Callable[[], tuple[Choices, Choices]]
    _cached: tuple[Choices, Choices] | None = field(default=None, repr=False)

    def suggestions(self, kind: str, value: str) -> tuple[str, ...]:
        """The closest registered ids to `value`, by id, name or alias."""
        if self._cached is None:
            self._cached = self.choices()
        actors, topics = self._cached
        return suggest(value, actors if kind == "actor" else topics)


def wanted(batch: Sequence[PreparedEvent]) -> tuple[set[str], set[str], set[str], set[str]]:
    """The actor ids, topic ids, document ids and folded names a store must look up."""
    actors: set[str] = set()
    topics: set[str] = set()
    documents: set[str] = set()
    folded: set[str] = set()
    for event in batch:
        data = event.data
        for _path, kind, value in event.references:
            (actors if kind == "actor" else topics).add(value)
        if event.type in (ACTOR_REGISTERED, ACTOR_UPDATED):
            actors.add(data["actor"])
            folded.update(fold(n) for n in _names(data))
        elif event.type in (TOPIC_DEFINED, TOPIC_UPDATED):
            topics.add(data["topic"])
        elif event.type == DOCUMENT_REGISTERED:
            documents.add(data["document"])
        if event.source is not None and event.source.get("document"):
            documents.add(event.source["document"])
    return actors, topics, documents, folded - {""}


def _names(data: Mapping[str, Any]) -> list[str]:
    return [n for n in (data["actor"], data.get("name"), *(data.get("aliases") or ())) if n]


def check(batch: Sequence[PreparedEvent], known: Known, normalise: Callable[[str], str],
          replayed: Collection[str] = ()) -> None:
    """Refuse the batch if any event names what is not registered, registers what exists,
    takes another actor's name, or misquotes a registered document; otherwise set each
    event's `verified` to what its document's text says (in place, digest included).

    Registrations count from where they stand in the batch. `known` is updated with them.
    Events whose ids are `replayed` were checked when first appended and are skipped; paths
    name each event by its index in `batch`.
    """
    problems: list[dict[str, object]] = []
    for index, event in enumerate(batch):
        if event.id in replayed:
            continue
        _register(index, event, known, normalise, problems)
        for path, kind, value in event.references:
            if value not in (known.actors if kind == "actor" else known.topics):
                problems.append(_missing(known, f"events.{index}.{path}", kind, value,
                                         "is registered"))
        if event.source is not None:
            _check_quote(index, event, known, problems)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(f"{first['path']}: {first['message']}{more}", problems)


def _missing(known: Known, path: str, kind: str, value: str, what: str) -> dict[str, object]:
    """A problem naming an unregistered id and the closest registered ones."""
    matches = known.suggestions(kind, value)
    hint = f"; did you mean {', '.join(matches)}?" if matches else ""
    return {"path": path, "message": f"no {kind} `{value}` {what}{hint}",
            "matches": [m.split("`")[1] for m in matches]}


def _register(index: int, event: PreparedEvent, known: Known,
              normalise: Callable[[str], str], problems: list[dict[str, object]]) -> None:
    data = event.data
    if event.type == ACTOR_REGISTERED:
        actor = data["actor"]
        if actor in known.actors:
            raise RegistryConflict(
                f"events.{index}: actor `{actor}` is already registered; change it with "
                "`actor.updated` (only the fields it names change), or retract its "
                "registration first")
        _check_names(index, actor, data, known, problems)
        known.actors[actor] = ActorEntry(actor, data["name"], data["kind"],
                                         tuple(data["aliases"]), data.get("represents"),
                                         tuple(data["members"]))
    elif event.type == ACTOR_UPDATED:
        actor = data["actor"]
        if actor not in known.actors:
            problems.append(_missing(known, f"events.{index}.data.actor", "actor", actor,
                                     "is registered to update"))
            return
        _check_names(index, actor, data, known, problems)
    elif event.type == TOPIC_DEFINED:
        topic = data["topic"]
        if topic in known.topics:
            raise RegistryConflict(
                f"events.{index}: topic `{topic}` is already defined; change it with "
                "`topic.updated` (only the fields it names change), or retract its "
                "definition first")
        known.topics.add(topic)
    elif event.type == TOPIC_UPDATED and data["topic"] not in known.topics:
        problems.append(_missing(known, f"events.{index}.data.topic", "topic", data["topic"],
                                 "is defined to update"))
    elif event.type == DOCUMENT_REGISTERED:
        document = data["document"]
        if document in known.documents:
            raise RegistryConflict(
                f"events.{index}: document `{document}` is already registered; a document "
                "is never changed: register a new version under a new id, or retract this "
                "registration first")
        known.documents[document] = normalise(data["text"])
        known.originals[document] = data["text"]


def _check_names(index: int, actor: str, data: Mapping[str, Any], known: Known,
                 problems: list[dict[str, object]]) -> None:
    """No name or alias of `actor` may be one another actor already goes by."""
    for name in _names(data):
        holder = known.holders.get(fold(name))
        if holder is not None and holder != actor:
            problems.append({"path": f"events.{index}.data.aliases",
                             "message": f"`{name}` already names actor `{holder}`: an alias "
                                        "must point at one actor"})
    for name in _names(data):
        known.holders[fold(name)] = actor


def _check_quote(index: int, event: PreparedEvent, known: Known,
                 problems: list[dict[str, object]]) -> None:
    source = event.source
    assert source is not None
    document = source.get("document")
    text = known.originals.get(document or "")
    # A quote copied to the letter is found without normalising either side.
    found = text is not None and (source["quote"] in text or verified(source, known.documents))
    if text is not None and not found:
        problems.append({"path": f"events.{index}.source.quote",
                         "message": f"the quote is not in document `{document}`; the "
                                    "closest passage is: "
                                    f"\"{closest_passage(source['quote'], text)}\""})
        return
    if source.get("verified") != found:
        mark_verified(event, found)


def mark_verified(event: PreparedEvent, flag: bool) -> None:
    """Set an event's `source.verified` and the stored form and digest that cover it."""
    assert event.source is not None
    event.source = {**event.source, "verified": flag}
    event.source_json = compact_json(event.source)
    event.digest = content_digest(event)


def align_replay(candidate: PreparedEvent, original: PreparedEvent | RecordedEvent) -> None:
    """Give a replayed event the original's `verified`: the mark is the store's finding at the
    first append, not part of what the client sent, so a replay compares without it."""
    if candidate.source is None or original.source is None:
        return
    flag = original.source.get("verified")
    if candidate.source.get("verified") == flag:
        return
    source = {k: v for k, v in candidate.source.items() if k != "verified"}
    if flag is not None:
        source["verified"] = flag
    candidate.source = source
    candidate.source_json = compact_json(source)
    candidate.digest = content_digest(candidate)
