"""The use cases: the API, the web page and the CLI all call these and nothing below them."""

from __future__ import annotations

import gc
import json
import multiprocessing
import re
import threading
import time as clock
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from stanceline.config import Settings
from stanceline.dates import parse_date, parse_edtf
from stanceline.domain.append import Appended
from stanceline.domain.chain import ChainReport
from stanceline.domain.events import (
    EVENT_BATCH_IN,
    EventIn,
    PreparedEvent,
    RecordedEvent,
    format_timestamp,
    from_envelope,
    prepare,
)
from stanceline.domain.payloads import IDENT_PATTERN
from stanceline.domain.projections import Stance, claim_dict
from stanceline.errors import InvalidDate, InvalidInput, LimitExceeded, NotFound, StancelineError
from stanceline.store import EventFilter, EventStore, open_store

LOAD_BATCH = 10_000
WORKER_CHUNK = 1_000
# Below this much input a second process costs more to start than it saves.
PARALLEL_LOAD_BYTES = 4 * 1024 * 1024


def validation_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, object]]:
    """Pydantic's errors as `{"path": "events.0.data.stance", "message": ...}`."""
    found: list[dict[str, object]] = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        path = ".".join(str(p) for p in err["loc"])
        found.append({"path": f"{prefix}{path}" if path else prefix.rstrip("."),
                      "message": err["msg"]})
    return found


def describe(errors: Sequence[Mapping[str, object]]) -> str:
    """One readable line for a list of field errors."""
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first['path']}: {first['message']}{more}"


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What `load` did."""

    files: int
    read: int
    appended: int
    skipped: int
    seconds: float

    def line(self) -> str:
        """The one-line summary."""
        rate = self.read / self.seconds if self.seconds else 0.0
        return (f"loaded {self.appended} new events from {self.files} file(s) "
                f"({self.skipped} already present, {self.read} read) "
                f"in {self.seconds:.2f} s, {rate:,.0f} events/s")


class Service:
    """Stanceline's use cases over one store."""

    def __init__(self, store: EventStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Service:
        """Open the store the settings name."""
        return cls(open_store(settings.database_url, migrate=migrate), settings)

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    # -- writes -------------------------------------------------------------------------
    def append(self, events: Sequence[EventIn], expect: Mapping[str, int] | None = None
               ) -> list[Appended]:
        """Append validated input events atomically."""
        limit = self.settings.max_batch_events
        if len(events) > limit:
            raise LimitExceeded(f"a batch holds at most {limit} events "
                                f"(STANCELINE_MAX_BATCH_EVENTS); this one has {len(events)}")
        if not events:
            raise InvalidInput("`events` is empty: nothing to append",
                               [{"path": "events", "message": "at least one event"}])
        return self.store.append([self._prepare(e, i) for i, e in enumerate(events)], expect)

    def append_json(self, payload: bytes | str) -> list[Appended]:
        """Append from JSON text: a list of events, one event, or JSON Lines."""
        return self.append(parse_events(payload))

    def _prepare(self, event: EventIn, index: int) -> PreparedEvent:
        try:
            return prepare(event)
        except InvalidDate as exc:
            raise InvalidInput(f"events.{index}: {exc.detail}",
                               [{"path": f"events.{index}.occurred", "message": exc.detail}]
                               ) from None

    def load(self, paths: Iterable[Path],
             progress: Callable[[int], None] | None = None) -> LoadSummary:
        """Load JSON Lines files (or folders of them) idempotently, in large transactions."""
        started = clock.perf_counter()
        files = expand_paths(paths)
        read = appended = 0
        size = sum(p.stat().st_size for p in files)
        batches = prepared_batches if size < PARALLEL_LOAD_BYTES else prepared_in_worker
        with paused_gc():
            for prepared in batches(files):
                answer = self.store.append(prepared)
                read += len(prepared)
                appended += sum(1 for a in answer if not a.replayed)
                if progress is not None:
                    progress(len(prepared))
        seconds = clock.perf_counter() - started
        return LoadSummary(len(files), read, appended, read - appended, seconds)

    def rebuild(self) -> tuple[int, float]:
        """Recompute every projection from the log: (events, seconds)."""
        started = clock.perf_counter()
        with paused_gc():
            count = self.store.rebuild()
        return count, clock.perf_counter() - started

    def export(self, out: TextIO) -> int:
        """Write the whole log as JSON Lines, positions, times and hashes included."""
        count = 0
        for event in self.store.iter_all():
            out.write(json.dumps(event.envelope(), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
        return count

    def import_(self, lines: Iterable[str]) -> int:
        """Restore an export into an empty store; the chain must verify as it is read."""
        with paused_gc():
            return self.store.import_events(_envelopes(lines))

    # -- reads --------------------------------------------------------------------------
    def event(self, event_id: str) -> RecordedEvent:
        """One event by id, or NotFound."""
        try:
            event_id = str(uuid.UUID(event_id))
        except ValueError:
            raise NotFound(f"no event with id {event_id!r}: not a UUID") from None
        found = self.store.get(event_id)
        if found is None:
            raise NotFound(f"no event with id {event_id!r}")
        return found

    def events(self, *, actor: str | None = None, topic: str | None = None,
               type: str | None = None, occurred_from: str | None = None,
               occurred_to: str | None = None, known_at: str | None = None, after: int = 0,
               limit: int = 100) -> tuple[list[RecordedEvent], int | None]:
        """A page of events and the cursor of the next page (None at the end)."""
        if limit < 1 or limit > self.settings.max_page:
            raise LimitExceeded(f"`limit` must be between 1 and {self.settings.max_page} "
                                "(STANCELINE_MAX_PAGE)")
        if not 0 <= after < 2**63:
            raise InvalidInput("`after` must be a position between 0 and 2**63 - 1",
                               [{"path": "after", "message": "out of range"}])
        flt = EventFilter(
            actor=actor, topic=topic, type=type,
            occurred_from=None if occurred_from is None else self.as_of(occurred_from, "from",
                                                                      first_day=True),
            occurred_to=None if occurred_to is None else self.as_of(occurred_to, "to"),
            known_at=None if known_at is None else self.known_at(known_at),
            after=after, limit=limit)
        page = self.store.read(flt)
        next_after = page[-1].position if len(page) == limit else None
        return page, next_after

    def verify(self) -> ChainReport:
        """Walk the hash chain."""
        return self.store.verify()

    def head(self) -> int:
        """The last position of the log (0 when it is empty)."""
        return self.store.head()

    def stance_pairs(self, actor: str | None = None,
                     topic: str | None = None) -> list[tuple[str, str]]:
        """Every (actor, topic) with a stance event: the rows of the stance matrix."""
        return self.store.stance_pairs(actor, topic)

    # -- stances ------------------------------------------------------------------------
    def actor_id(self, name: str) -> str:
        """An actor id from an id or any alias ("Kir Starmer" -> `keir-starmer`)."""
        if _IDENT.match(name):
            return name
        found = self.store.resolve(name)
        if not found:
            raise NotFound(f"no actor is called {name!r}")
        if len(found) > 1:
            raise InvalidInput(f"{name!r} is ambiguous: it may be {', '.join(found)}",
                               [{"path": "actor", "message": "ambiguous name"}])
        return found[0]

    def _when(self, as_of: str | None, known_at: str | None) -> tuple[date, datetime]:
        day = today() if as_of is None else self.as_of(as_of)
        moment = datetime.now(UTC) if known_at is None else self.known_at(known_at)
        return day, moment

    def stance(self, actor: str, topic: str, as_of: str | None = None,
               known_at: str | None = None) -> dict[str, Any]:
        """One actor's stance on one topic, as `/api/stances` answers it."""
        return self.stances(actor=actor, topic=topic, as_of=as_of, known_at=known_at)

    def stances(self, *, actor: str | None = None, topic: str | None = None,
                as_of: str | None = None, known_at: str | None = None) -> dict[str, Any]:
        """Stances as of a date, known at a time: one pair, an actor's, a topic's, or all."""
        day, moment = self._when(as_of, known_at)
        # Without `known_at` everything recorded so far counts: no bound to apply.
        bound = None if known_at is None else moment
        actor_id = None if actor is None else self.actor_id(actor)
        if actor_id is not None and topic is not None:
            pairs = [(actor_id, topic)]
        else:
            pairs = self.store.stance_pairs(actor_id, topic)
        answers = [self.store.stance(a, t, day, bound).as_dict() for a, t in pairs]
        return {"as_of": day.isoformat(), "known_at": format_timestamp(moment),
                "stances": answers}

    def history(self, actor: str, topic: str, known_at: str | None = None) -> dict[str, Any]:
        """Each change of an actor's stance on a topic, with its evidence."""
        _, moment = self._when(None, known_at)
        actor_id = self.actor_id(actor)
        changes = self.store.history(actor_id, topic, moment)
        return {"actor": actor_id, "topic": topic, "known_at": format_timestamp(moment),
                "changes": [c.as_dict() for c in changes]}

    def changes(self, start: str, end: str | None = None, topic: str | None = None,
                known_at: str | None = None) -> dict[str, Any]:
        """Who moved between two dates: the stance before and after, and why."""
        first = self.as_of(start, "from")
        last, moment = self._when(end, known_at)
        if first > last:
            raise InvalidInput(f"`from` ({first}) is after `to` ({last})",
                               [{"path": "from", "message": "must not be after `to`"}])
        moved = []
        for actor, subject in self.store.changed_pairs(first, last, topic, moment):
            before = self.store.stance(actor, subject, first, moment)
            after = self.store.stance(actor, subject, last, moment)
            if (before.stance, before.conditions, before.possible) != (
                    after.stance, after.conditions, after.possible):
                moved.append({"actor": actor, "topic": subject,
                              "before": _brief(before), "after": _brief(after),
                              "evidence": after.evidence})
        return {"from": first.isoformat(), "to": last.isoformat(),
                "known_at": format_timestamp(moment), "changes": moved}

    def claims(self, subject: str | None = None, as_of: str | None = None,
               known_at: str | None = None) -> dict[str, Any]:
        """Numbers claimed (e.g. `force-size`), by whom and when, up to a date."""
        day, moment = self._when(as_of, known_at)
        found = self.store.claims(subject, day, moment)
        return {"subject": subject, "as_of": day.isoformat(),
                "known_at": format_timestamp(moment), "claims": [claim_dict(e) for e in found]}

    def actors(self, q: str | None = None) -> dict[str, Any]:
        """The actor directory, optionally matched by name or alias."""
        return {"actors": [_wire(a) for a in self.store.actors(q)]}

    def actor(self, actor: str) -> dict[str, Any]:
        """One actor, with its stances as of today."""
        actor_id = self.actor_id(actor)
        found = self.store.actor(actor_id)
        if found is None:
            raise NotFound(f"no actor {actor_id!r} is registered")
        return {**_wire(found), "stances": self.stances(actor=actor_id)["stances"]}

    def topics(self) -> dict[str, Any]:
        """Every topic."""
        return {"topics": [_wire(t) for t in self.store.topics()]}

    def timeline(self, *, actor: str | None = None, topic: str | None = None,
                 type: str | None = None, known_at: str | None = None,
                 max_events: int = 2_000) -> dict[str, Any]:
        """What the timeline draws: every matching event when there are at most `max_events`,
        else counts per (actor, month, stance or type), so a large log stays drawable."""
        moment = None if known_at is None else self.known_at(known_at)
        flt = EventFilter(actor=None if actor is None else self.actor_id(actor), topic=topic,
                          type=type, known_at=moment, limit=max_events)
        total = self.store.count(flt)
        if total <= max_events:
            return {"total": total, "events": self.store.read(flt), "buckets": []}
        buckets = [{"actor": a, "month": m, "kind": k, "count": n}
                   for a, m, k, n in self.store.buckets(flt)]
        return {"total": total, "events": [], "buckets": buckets}

    # -- dates --------------------------------------------------------------------------
    def as_of(self, text: str, name: str = "as_of", *, first_day: bool = False) -> date:
        """A date from ISO or natural language; a period means its last (or first) day."""
        try:
            span = parse_date(text, today())
        except InvalidDate as exc:
            raise InvalidInput(f"{name}: {exc.detail}",
                               [{"path": name, "message": exc.detail}]) from None
        return span.start if first_day else span.end

    def known_at(self, text: str) -> datetime:
        """An ISO timestamp (UTC), or a date or text meaning the end of that day (UTC)."""
        stripped = text.strip()
        if "T" in stripped and parse_edtf(stripped) is None:
            try:
                moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return moment.replace(tzinfo=UTC) if moment.tzinfo is None \
                    else moment.astimezone(UTC)
        day = self.as_of(stripped, "known_at")
        return datetime.combine(day, time.max, tzinfo=UTC)


_IDENT = re.compile(IDENT_PATTERN)


def _brief(stance: Stance) -> dict[str, Any]:
    return {"stance": stance.stance, "since": stance.since, "certain": stance.certain,
            "possible": stance.possible, "conditions": stance.conditions}


def today() -> date:
    """Today's date in UTC (the default `as_of` and the reference of relative dates)."""
    return datetime.now(UTC).date()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC: bulk work makes many acyclic objects that refcounting frees, and
    collections triggered by their sheer number cost ~40% of a load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def prepared_batches(files: Sequence[Path]) -> Iterator[list[PreparedEvent]]:
    """Validated, prepared batches of every file in turn."""
    for path in files:
        for lines in raw_batches(path, LOAD_BATCH):
            yield prepare_lines(path, lines)


def prepared_in_worker(files: Sequence[Path]) -> Iterator[list[PreparedEvent]]:
    """The same batches, read and validated by a second process while this one appends.

    Validation is about half of a load's CPU time; on two cores it overlaps the appends. The
    queue holds a few chunks at most, so memory stays flat whatever the size of the input.
    """
    # Forking is instant and safe while this process runs no other thread; else spawn.
    single = threading.active_count() == 1
    fork = single and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    chunks: multiprocessing.Queue[list[PreparedEvent] | BaseException | None] = context.Queue(
        maxsize=2 * LOAD_BATCH // WORKER_CHUNK)
    worker = context.Process(target=_prepare_files, args=(list(files), chunks), daemon=True)
    worker.start()
    try:
        ready: list[PreparedEvent] = []
        while (chunk := chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            ready.extend(chunk)
            if len(ready) >= LOAD_BATCH:
                yield ready
                ready = []
        if ready:
            yield ready
    finally:
        worker.kill()
        worker.join()
        chunks.close()


def _prepare_files(files: list[Path],
                   chunks: multiprocessing.Queue[list[PreparedEvent] | BaseException | None]
                   ) -> None:
    """The worker of `prepared_in_worker`: every file's prepared chunks, then None."""
    try:
        for path in files:
            for lines in raw_batches(path, WORKER_CHUNK):
                chunks.put(prepare_lines(path, lines))
    except StancelineError as exc:
        chunks.put(exc)
    except Exception as exc:  # surfaced in the parent as one clear error
        chunks.put(StancelineError(f"{type(exc).__name__}: {exc}"))
    chunks.put(None)


def raw_batches(path: Path, size: int) -> Iterator[list[tuple[int, bytes]]]:
    """Non-blank lines of a JSON Lines file with their numbers, `size` at a time."""
    lines: list[tuple[int, bytes]] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                lines.append((number, raw))
                if len(lines) >= size:
                    yield lines
                    lines = []
    if lines:
        yield lines


def prepare_lines(path: Path, lines: list[tuple[int, bytes]]) -> list[PreparedEvent]:
    """Validate and prepare JSON lines; errors name the file, line and field."""
    with paused_gc():
        return [prepare_or_explain(e, path, line) for line, e in _validate_lines(path, lines)]


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given and the `*.jsonl` files of folders, sorted, registries first."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            # Actors and topics first, so that the articles' events find them registered.
            files.extend(sorted(found, key=lambda p: (p.stem not in ("actors", "topics"), p.name)))
        elif path.exists():
            files.append(path)
        else:
            raise NotFound(f"{path}: no such file or folder")
    return files


def _validate_lines(path: Path, lines: list[tuple[int, bytes]]) -> list[tuple[int, EventIn]]:
    try:
        events = EVENT_BATCH_IN.validate_json(b"[" + b",".join(r for _, r in lines) + b"]")
    except ValidationError as exc:
        errors = validation_errors(exc)
        first = errors[0]
        index = int(str(first["path"]).split(".", 1)[0]) if str(first["path"])[:1].isdigit() \
            else 0
        line = lines[min(index, len(lines) - 1)][0]
        path_in_event = str(first["path"]).split(".", 1)[-1]
        raise InvalidInput(f"{path}:{line}: {path_in_event}: {first['message']}",
                           errors) from None
    return [(number, event) for (number, _), event in zip(lines, events, strict=True)]


def prepare_or_explain(event: EventIn, path: Path, line: int) -> PreparedEvent:
    """Prepare an event from a file, naming the file and line if its date is wrong."""
    try:
        return prepare(event)
    except InvalidDate as exc:
        raise InvalidInput(f"{path}:{line}: {exc.detail}") from None


def parse_events(payload: bytes | str) -> list[EventIn]:
    """Events from JSON: a list, an object with `events`, one event, or JSON Lines."""
    text = payload.decode() if isinstance(payload, bytes) else payload
    stripped = text.strip()
    if not stripped:
        raise InvalidInput("no events given: the input is empty")
    try:
        parsed: Any = json.loads(stripped)
        items = parsed["events"] if isinstance(parsed, dict) and "events" in parsed else parsed
    except json.JSONDecodeError:
        items = [_json_line(line, n) for n, line in enumerate(stripped.splitlines(), 1)
                 if line.strip()]
    if isinstance(items, dict):
        items = [items]
    try:
        return EVENT_BATCH_IN.validate_python(items)
    except ValidationError as exc:
        errors = validation_errors(exc, "events.")
        raise InvalidInput(describe(errors), errors) from None


def _envelopes(lines: Iterable[str]) -> Iterator[RecordedEvent]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield from_envelope(json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(f"line {number}: not an exported event ({exc})") from None


def _json_line(line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"line {number}: not JSON ({exc.msg})") from None


def _wire(entry: Any) -> dict[str, Any]:
    """A directory entry as the wire dict (tuples as lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(entry).items()}
