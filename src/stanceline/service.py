"""The use cases: the API, the web page and the CLI all call these and nothing below them.

Every read answers a typed value of `stanceline.answers` (never a wire-shaped dict): the page
and the CLI read its attributes, the API shapes it with its response models.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time as clock
import uuid
from calendar import monthrange
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from stanceline.answers import (
    ActorAnswer,
    ActorsAnswer,
    Brief,
    Bucket,
    ChangesAnswer,
    ClaimsAnswer,
    DocumentAnswer,
    DocumentsAnswer,
    HistoryAnswer,
    LoadSummary,
    LogView,
    Move,
    PanelAnswer,
    PanelRow,
    Passage,
    StancesAnswer,
    TimelineAnswer,
    TopicsAnswer,
)
from stanceline.config import Settings
from stanceline.dates import out_of_range, parse_date, parse_edtf
from stanceline.domain.append import Appended
from stanceline.domain.chain import ChainReport
from stanceline.domain.checkpoint import (
    Checkpoint,
    CheckpointRefused,
    NoSigningKey,
    Signer,
    check_extension,
    check_signature,
    trusted_key,
)
from stanceline.domain.events import (
    EVENT_BATCH_IN,
    EventIn,
    PreparedEvent,
    RecordedEvent,
    format_timestamp,
    from_envelope,
    prepare,
)
from stanceline.domain.lanes import busiest_lanes
from stanceline.domain.payloads import IDENT_PATTERN, PAYLOADS
from stanceline.domain.projections import claim_of
from stanceline.domain.quotes import passage
from stanceline.domain.references import suggest
from stanceline.domain.voids import Void
from stanceline.errors import InvalidDate, InvalidInput, LimitExceeded, NotFound, StancelineError
from stanceline.ingest import (
    describe,
    document_events,
    expand_paths,
    load_batches,
    located,
    paused_gc,
    validation_errors,
)
from stanceline.known import KnownNames
from stanceline.store import EventFilter, EventStore, open_store
from stanceline.store.feed import AppendFeed
from stanceline.store.sessions import SessionLimits

log = logging.getLogger("stanceline")


class Service:
    """Stanceline's use cases over one store."""

    def __init__(self, store: EventStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._kinds: dict[str, str] = {}
        self.known = KnownNames(store)
        self._signer: Signer | None = None
        self._deep = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Service:
        """Open the store the settings name."""
        limits = SessionLimits(settings.pg_idle_in_transaction_timeout, settings.pg_lock_timeout)
        return cls(open_store(settings.database_url, migrate=migrate, limits=limits), settings)

    def guard_bypass(self) -> str | None:
        """How the database role in use could switch the append-only triggers off, or None
        (issue 14.3: the service warns at start, `verify` reports it)."""
        return self.store.guard_bypass()

    def grant_app(self, role: str) -> list[str]:
        """Grant `role` what serving needs and no more (PostgreSQL; run as the owner)."""
        return self.store.grant_app(role)

    def warn_if_guards_bypassable(self) -> str | None:
        """Log a warning (once, at the service's start) when the role can switch the
        append-only triggers off; the sentence, or None."""
        bypass = self.guard_bypass()
        if bypass is not None:
            log.warning("the append-only guards can be switched off: %s; run the service as "
                        "a role that neither owns the tables nor is a superuser (README, "
                        "PostgreSQL)", bypass)
        return bypass

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    # -- writes -------------------------------------------------------------------------
    def append(self, events: Sequence[EventIn], expect: Mapping[str, int] | None = None,
               recorded_by: str | None = None) -> list[Appended]:
        """Append validated input events atomically; each records who appended it (the write
        token's name). The store refuses unregistered references and misquotes."""
        limit = self.settings.max_batch_events
        if len(events) > limit:
            raise LimitExceeded(f"a batch holds at most {limit} events "
                                f"(STANCELINE_MAX_BATCH_EVENTS); this one has {len(events)}")
        if not events:
            raise InvalidInput("`events` is empty: nothing to append",
                               [{"path": "events", "message": "at least one event"}])
        return self.store.append([self._prepare(e, i, recorded_by)
                                  for i, e in enumerate(events)], expect)

    def append_json(self, payload: bytes | str) -> list[Appended]:
        """Append from JSON text: a list of events, one event, or JSON Lines."""
        return self.append(parse_events(payload))

    def _prepare(self, event: EventIn, index: int, recorded_by: str | None) -> PreparedEvent:
        try:
            return prepare(event, recorded_by=recorded_by)
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
        # The registered texts let the reading side mark quotes verified as it prepares them.
        texts = self.store.document_texts()
        with paused_gc():
            for prepared in load_batches(files, texts):
                try:
                    answer = self.store.append(prepared)
                except InvalidInput as exc:
                    raise located(exc, prepared) from None
                read += len(prepared)
                appended += sum(1 for a in answer if not a.replayed)
                if progress is not None:
                    progress(len(prepared))
        seconds = clock.perf_counter() - started
        return LoadSummary(len(files), read, appended, read - appended, seconds)

    def seed(self) -> str | None:
        """Load the curated events once (ids make it idempotent); a bad seed never stops a
        start. What happened, in one line, or None when there is nothing to load."""
        folder = self.settings.seed_events_dir
        if not self.settings.load_seed or folder is None or not folder.is_dir():
            return None
        try:
            self.register_documents()
            summary = self.load([folder])
        except StancelineError as exc:
            log.error("seed events not loaded: %s", exc.detail)
            return f"seed events not loaded: {exc.detail}"
        log.info("seed: %s", summary.line())
        return f"seed: {summary.line()}"

    def register_documents(self) -> int:
        """Register the seed articles (`seed_documents_dir`) as documents, once: their ids
        derive from their texts, so a restart replays them. How many were new."""
        folder = self.settings.seed_documents_dir
        if folder is None or not folder.is_dir():
            return 0
        found = document_events(folder)
        if not found:
            return 0
        return sum(1 for a in self.append(found) if not a.replayed)

    def live_feed(self) -> AppendFeed:
        """The process's one watcher of the log for live readers (woken by LISTEN/NOTIFY on
        PostgreSQL, a poll of the head elsewhere), reading new events as `events` does; the
        caller starts and closes it."""
        return AppendFeed(self.head, self.settings.database_url, read=self.events)

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
               occurred_to: str | None = None, known_at: str | None = None,
               recorded_by: str | None = None, after: int = 0, limit: int = 100,
               include_retracted: bool = True) -> tuple[list[RecordedEvent], int | None]:
        """A page of events and the cursor of the next page (None at the end). Without
        `include_retracted`, events retracted or superseded as known at `known_at` are left
        out (a page may then hold fewer than `limit`: follow the cursor)."""
        if limit < 1 or limit > self.settings.max_page:
            raise LimitExceeded(f"`limit` must be between 1 and {self.settings.max_page} "
                                "(STANCELINE_MAX_PAGE)")
        if not 0 <= after < 2**63:
            raise InvalidInput("`after` must be a position between 0 and 2**63 - 1",
                               [{"path": "after", "message": "out of range"}])
        actor, topic, type = self._event_names(actor, topic, type)
        flt = EventFilter(
            actor=actor, topic=topic, type=type,
            occurred_from=None if occurred_from is None else self.as_of(occurred_from, "from",
                                                                      first_day=True),
            occurred_to=None if occurred_to is None else self.as_of(occurred_to, "to"),
            known_at=None if known_at is None else self.known_at(known_at),
            recorded_by=recorded_by, after=after, limit=limit)
        page = self.store.read(flt)
        next_after = page[-1].position if len(page) == limit else None
        if not include_retracted and page:
            voided = self.store.voids([e.id for e in page], flt.known_at)
            page = [e for e in page if e.id not in voided]
        return page, next_after

    def log_view(self, *, actor: str | None = None, topic: str | None = None,
                 type: str | None = None, occurred_from: str | None = None,
                 occurred_to: str | None = None, known_at: str | None = None,
                 recorded_by: str | None = None, after: int = 0, limit: int | None = None,
                 include_retracted: bool = False) -> LogView:
        """A page of the log (the filters of `events`; `limit` defaults to the largest page)
        with the names to show it by: what an export to another tool (TimelineJS) reads."""
        page, next_after = self.events(
            actor=actor, topic=topic, type=type, occurred_from=occurred_from,
            occurred_to=occurred_to, known_at=known_at, recorded_by=recorded_by, after=after,
            limit=self.settings.max_page if limit is None else limit,
            include_retracted=include_retracted)
        voids = self.voids([e.id for e in page], known_at) if include_retracted else {}
        return LogView(page, voids, {a.actor: a.name for a in self.store.actors(None)},
                       {t.topic: t.title for t in self.store.topics()}, type, next_after)

    def passage(self, event: RecordedEvent) -> Passage | None:
        """An event's quote in its paragraph of the registered document it cites (None when
        the document is not registered or does not hold the quote)."""
        source = event.source or {}
        document, quote = source.get("document"), source.get("quote")
        if not document or not quote:
            return None
        found = self.store.document(str(document))
        if found is None:
            return None
        entry, text = found
        parts = passage(str(quote), text)
        return None if parts is None else Passage(entry.document, entry.title, *parts)

    def voids(self, ids: Sequence[str], known_at: str | None = None) -> dict[str, Void]:
        """Which of these events were retracted or superseded as known at `known_at`."""
        return self.store.voids(ids, None if known_at is None else self.known_at(known_at))

    def _event_names(self, actor: str | None, topic: str | None, type: str | None
                     ) -> tuple[str | None, str | None, str | None]:
        """The filters of an event read, resolved: names to ids, NotFound for the unknown."""
        if type is not None and type not in PAYLOADS:
            close = suggest(type, {t: () for t in PAYLOADS})
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise NotFound(f"no event type `{type}`{hint}",
                           [{"path": "query.type", "message": "unknown event type",
                             "matches": [c.split("`")[1] for c in close]}])
        return (None if actor is None else self.actor_id(actor), self.topic_id(topic), type)

    def verify(self, deep: bool = False) -> ChainReport:
        """Walk the hash chain, checking every column the queries read; `deep`: also compare
        every stored projection with what the log gives (one at a time per process: each
        costs about what a rebuild does)."""
        if not deep:
            return self.store.verify()
        with self._deep:
            return self.store.verify(deep=True)

    def signer(self) -> Signer:
        """The configured signing key (read once), or NoSigningKey saying what to set."""
        if self._signer is None:
            path, secret = self.settings.signing_key_file, self.settings.signing_key
            if path is not None:
                try:
                    text = path.read_bytes()
                except OSError as exc:
                    raise NoSigningKey(f"the signing key file {path} cannot be read: "
                                       f"{exc.strerror or exc}") from None
                self._signer = Signer.load(text, str(path))
            elif secret is not None and secret.get_secret_value().strip():
                self._signer = Signer.load(secret.get_secret_value(), "STANCELINE_SIGNING_KEY")
            else:
                raise NoSigningKey("no signing key is configured: set "
                                   "STANCELINE_SIGNING_KEY_FILE (a file `stanceline keygen` "
                                   "writes) or STANCELINE_SIGNING_KEY")
        return self._signer

    def checkpoint(self) -> Checkpoint:
        """The signed checkpoint of the current head: the newest stored one if it is the
        head's, else one signed now (under the write lock) and stored."""
        return self.store.checkpoint(self.signer())

    def verify_against(self, saved: Checkpoint, public_key: str | None = None
                       ) -> ChainReport:
        """Whether the log still extends a checkpoint saved earlier: signed by the trusted
        key (`public_key`, else the configured key's public half; CheckpointRefused if
        neither or another key signed it), its row has its hash, the whole chain walks, and
        no row after it was recorded before it was signed (`Checkpoint.of` reads one saved
        as JSON)."""
        if public_key is not None:
            trusted = trusted_key(public_key)
        else:
            try:
                trusted = self.signer().public_key
            except NoSigningKey as exc:
                raise CheckpointRefused(f"no trusted public key to check the checkpoint "
                                        f"against: pass --public-key ({exc.detail})") from None
        check_signature(saved, trusted)
        report = self.store.verify()
        if not report.ok:
            return report
        finding = check_extension(saved, report.events,
                                  self.store.iter_all(max(saved.position - 1, 0)))
        if finding is not None:
            return replace(report, ok=False, broken_at=finding[0],
                           detail=f"the log does not extend the checkpoint: {finding[1]}")
        return report

    def head(self) -> int:
        """The last position of the log (0 when it is empty)."""
        return self.store.head()

    def stance_pairs(self, actor: str | None = None,
                     topic: str | None = None) -> list[tuple[str, str]]:
        """Every (actor, topic) with a stance event: the rows of the stance matrix."""
        return self.store.stance_pairs(actor, topic)

    # -- stances ------------------------------------------------------------------------
    def actor_id(self, name: str) -> str:
        """An actor id from an id or any alias ("Kir Starmer" -> `keir-starmer`); NotFound
        with the closest matches for a name the log does not know."""
        return self.known.actor(name)

    def topic_id(self, name: str | None) -> str | None:
        """A topic id from its id or title (None stays None); NotFound otherwise."""
        return None if name is None else self.known.topic(name)

    def _when(self, as_of: str | None, known_at: str | None) -> tuple[date, datetime]:
        day = today() if as_of is None else self.as_of(as_of)
        moment = datetime.now(UTC) if known_at is None else self.known_at(known_at)
        return day, moment

    def stance(self, actor: str, topic: str, as_of: str | None = None,
               known_at: str | None = None, reported_by: str | None = None) -> StancesAnswer:
        """One actor's stance on one topic, as `/api/stances` answers it."""
        return self.stances(actor=actor, topic=topic, as_of=as_of, known_at=known_at,
                            reported_by=reported_by)

    def is_person(self, actor_id: str) -> bool:
        """Whether an actor is a person (who then answers only for what they voiced)."""
        kind = self._kinds.get(actor_id)
        if kind is None:
            kind = self.store.actor_kind(actor_id)
            if kind is None:
                return False
            # An actor's kind is fixed at registration, so it is safe to keep for good.
            self._kinds[actor_id] = kind
        return kind == "person"

    def stances(self, *, actor: str | None = None, topic: str | None = None,
                as_of: str | None = None, known_at: str | None = None,
                reported_by: str | None = None) -> StancesAnswer:
        """Stances as of a date, known at a time, reported by a date: one pair, an actor's, a
        topic's, or all. A person answers with one row per actor they spoke for (and one for
        their own stances), each counting only what they voiced."""
        topic = self.topic_id(topic)
        day, moment = self._when(as_of, known_at)
        # Without `known_at` everything recorded so far counts: no bound to apply.
        bound = None if known_at is None else moment
        reported = None if reported_by is None else self.as_of(reported_by, "reported_by")
        actor_id = None if actor is None else self.actor_id(actor)
        if actor_id is not None and self.is_person(actor_id):
            pairs = self.store.voiced_pairs(actor_id, topic)
            if not pairs and topic is not None:
                pairs = [(actor_id, topic)]
            found = [self.store.stance(a, t, day, bound, speaker=actor_id, reported=reported)
                     for a, t in pairs]
            return StancesAnswer(day.isoformat(), format_timestamp(moment), found)
        if actor_id is not None and topic is not None:
            found = [self.store.stance(actor_id, topic, day, bound, reported=reported)]
        elif reported is None:
            # A matrix (an actor's, a topic's or every pair): one set-based read.
            found = self.store.matrix(day, bound, actor=actor_id, topic=topic)
        else:
            found = [self.store.stance(a, t, day, bound, reported=reported)
                     for a, t in self.store.stance_pairs(actor_id, topic)]
        return StancesAnswer(day.isoformat(), format_timestamp(moment), found)

    def history(self, actor: str, topic: str, known_at: str | None = None) -> HistoryAnswer:
        """Each change of an actor's stance on a topic, with its evidence; for a person, the
        changes of every stance they voiced on it (each change names its actor)."""
        topic = self.known.topic(topic)
        _, moment = self._when(None, known_at)
        actor_id = self.actor_id(actor)
        if self.is_person(actor_id):
            changes = [change for a, _t in self.store.voiced_pairs(actor_id, topic)
                       for change in self.store.history(a, topic, moment, speaker=actor_id)]
            return HistoryAnswer(actor_id, topic, format_timestamp(moment), changes, actor_id)
        return HistoryAnswer(actor_id, topic, format_timestamp(moment),
                             self.store.history(actor_id, topic, moment))

    def changes(self, start: str, end: str | None = None, topic: str | None = None,
                known_at: str | None = None) -> ChangesAnswer:
        """Who moved between two dates: the stance before and after, and the event that made
        the move (the first of the run in force at the end)."""
        topic = self.topic_id(topic)
        first = self.as_of(start, "from")
        last, moment = self._when(end, known_at)
        if first > last:
            raise InvalidInput(f"`from` ({first}) is after `to` ({last})",
                               [{"path": "from", "message": "must not be after `to`"}])
        moved: list[Move] = []
        for actor, subject in self.store.changed_pairs(first, last, topic, moment):
            before = self.store.stance(actor, subject, first, moment)
            after = self.store.stance(actor, subject, last, moment)
            if (before.stance, before.condition_keys(), before.possible) != (
                    after.stance, after.condition_keys(), after.possible):
                made = [e for e in after.evidence if e.counts == "certain"][:1]
                moved.append(Move(actor, subject, Brief.of(before), Brief.of(after),
                                  made or after.evidence))
        return ChangesAnswer(first.isoformat(), last.isoformat(), format_timestamp(moment),
                             moved)

    def claims(self, subject: str | None = None, as_of: str | None = None,
               known_at: str | None = None) -> ClaimsAnswer:
        """Numbers claimed (e.g. `force-size`), by whom and when: those whose span has ended
        by `as_of` are certain, those still under way are not, later ones are left out."""
        subject = None if subject is None else self.known.subject(subject)
        day, moment = self._when(as_of, known_at)
        found = self.store.claims(subject, day, moment)
        return ClaimsAnswer(subject, day.isoformat(), format_timestamp(moment),
                            [claim_of(e, day) for e in found])

    def panel(self, start: str, end: str | None = None, *, topic: str | None = None,
              every: str = "month", actor: str | None = None,
              known_at: str | None = None) -> PanelAnswer:
        """The stance panel: for each period (`every`: month, quarter or year) from the one
        holding `start` to the one holding `end` (default today), each (actor, topic) with a
        stance event and its stance as of the period's end (the last period's: `end`), whether
        it is certain and since when. One as-of probe per pair and period, so it is bounded:
        at most `MAX_PANEL_PERIODS` periods and `MAX_PANEL_CELLS` rows."""
        if every not in PERIODS:
            raise InvalidInput(f"`every` must be one of {', '.join(PERIODS)}, not {every!r}",
                               [{"path": "every", "message": "month, quarter or year"}])
        topic = self.topic_id(topic)
        first = self.as_of(start, "from", first_day=True)
        last, moment = self._when(end, known_at)
        if first > last:
            raise InvalidInput(f"`from` ({first}) is after `to` ({last})",
                               [{"path": "from", "message": "must not be after `to`"}])
        count = period_count(first, last, every)
        if count > MAX_PANEL_PERIODS:
            raise InvalidInput(
                f"the panel spans {count} periods of a {every}: at most "
                f"{MAX_PANEL_PERIODS} (narrow `from`/`to` or choose a longer `every`)",
                [{"path": "every", "message": f"at most {MAX_PANEL_PERIODS} periods"}])
        periods = periods_between(first, last, every)
        bound = None if known_at is None else moment
        actor_id = None if actor is None else self.actor_id(actor)
        speaker = None
        if actor_id is not None and self.is_person(actor_id):
            pairs, speaker = self.store.voiced_pairs(actor_id, topic), actor_id
        elif actor_id is not None and topic is not None:
            pairs = [(actor_id, topic)]
        else:
            pairs = self.store.stance_pairs(actor_id, topic)
        if len(pairs) * len(periods) > MAX_PANEL_CELLS:
            raise InvalidInput(
                f"the panel would have {len(pairs) * len(periods)} rows ({len(pairs)} pairs x "
                f"{len(periods)} periods): at most {MAX_PANEL_CELLS} (name an actor or a "
                "topic, or narrow the dates)",
                [{"path": "every", "message": f"at most {MAX_PANEL_CELLS} rows"}])
        rows: list[PanelRow] = []
        for label, period_end in periods:
            day = min(period_end, last)
            for a, t in pairs:
                found = self.store.stance(a, t, day, bound, speaker=speaker)
                rows.append(PanelRow(label, day.isoformat(), a, t, found.stance, found.certain,
                                     found.possible, found.since))
        return PanelAnswer(topic, first.isoformat(), last.isoformat(), every,
                           format_timestamp(moment), rows)

    def actors(self, q: str | None = None) -> ActorsAnswer:
        """The actor directory, optionally matched by name or alias."""
        return ActorsAnswer(self.store.actors(q))

    def actor(self, actor: str) -> ActorAnswer:
        """One actor, with its stances as of today."""
        actor_id = self.actor_id(actor)
        found = self.store.actor(actor_id)
        if found is None:
            raise NotFound(f"no actor {actor_id!r} is registered")
        entry = found
        return ActorAnswer(entry.actor, entry.name, entry.kind, entry.aliases, entry.represents,
                           entry.members, self.stances(actor=actor_id).stances)

    def topics(self) -> TopicsAnswer:
        """Every topic."""
        return TopicsAnswer(self.store.topics())

    def documents(self, publisher: str | None = None, published_from: str | None = None,
                  published_to: str | None = None) -> DocumentsAnswer:
        """Registered documents; `published_from`/`to` bound the publication date (a date
        known to its month overlaps every day of it)."""
        first = None if published_from is None else self.as_of(published_from, "from",
                                                               first_day=True)
        last = None if published_to is None else self.as_of(published_to, "to")
        return DocumentsAnswer(self.store.documents(publisher, first, last))

    def document(self, document: str, limit: int = 1_000) -> DocumentAnswer:
        """One document: metadata, text, and the events citing it (NotFound with the closest
        ids and titles for one not registered)."""
        found = self.store.document(self.known.document(document))
        if found is None:
            raise NotFound(f"no document `{document}` is registered")
        entry, text = found
        return DocumentAnswer(entry, text, self.store.citing(entry.document, limit))

    def timeline(self, *, actor: str | None = None, topic: str | None = None,
                 type: str | None = None, known_at: str | None = None,
                 max_events: int = 2_000, max_lanes: int | None = None) -> TimelineAnswer:
        """What the timeline draws: every matching event when there are at most `max_events`,
        else counts per (actor, month, stance or type), so a large log stays drawable; with
        `max_lanes`, only the busiest actors keep their counts, the others' summed as "*"."""
        moment = None if known_at is None else self.known_at(known_at)
        actor, topic, type = self._event_names(actor, topic, type)
        flt = EventFilter(actor=actor, topic=topic, type=type, known_at=moment,
                          limit=max_events)
        total = self.store.count(flt)
        if total <= max_events:
            return TimelineAnswer(total, self.store.read(flt), [])
        kept, folded = None, 0
        if max_lanes is not None:
            totals = self.store.lane_totals(flt)
            if len(totals) > max_lanes:
                kept = busiest_lanes(totals, max_lanes)
                folded = len(totals) - max_lanes
        return TimelineAnswer(total, [], [Bucket(a, m, k, n) for a, m, k, n
                                          in self.store.buckets(flt, kept)], folded)

    # -- dates --------------------------------------------------------------------------
    def as_of(self, text: str, name: str = "as_of", *, first_day: bool = False) -> date:
        """A date from ISO or natural language; a period means its last (or first) day."""
        try:
            span = parse_date(text, today())
        except InvalidDate as exc:
            raise InvalidInput(f"{name}: {exc.detail}",
                               [{"path": name, "message": exc.detail}]) from None
        return in_range(span.start if first_day else span.end, text, name)

    def known_at(self, text: str) -> datetime:
        """An ISO timestamp (UTC), or a date or text meaning the end of that day (UTC)."""
        stripped = text.strip()
        if "T" in stripped and parse_edtf(stripped) is None:
            try:
                moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None \
                    else moment.astimezone(UTC)
                in_range(moment.date(), text, "known_at")
                return moment
        day = self.as_of(stripped, "known_at")
        return datetime.combine(day, time.max, tzinfo=UTC)


_IDENT = re.compile(IDENT_PATTERN)

# The stance panel's periods, and its bounds (each row is one as-of probe).
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
PERIODS = tuple(PERIOD_MONTHS)
MAX_PANEL_PERIODS = 600
MAX_PANEL_CELLS = 200_000


def period_count(first: date, last: date, every: str) -> int:
    """How many periods of a month, quarter or year `periods_between` would list."""
    step = PERIOD_MONTHS[every]
    return ((last.year * 12 + last.month - 1) // step
            - (first.year * 12 + first.month - 1) // step + 1)


def periods_between(first: date, last: date, every: str) -> list[tuple[str, date]]:
    """The periods (label, last day) from the one holding `first` to the one holding `last`:
    months `2025-02`, quarters `2025-Q1`, years `2025`."""
    step = PERIOD_MONTHS[every]
    index = (first.year * 12 + first.month - 1) // step * step
    found: list[tuple[str, date]] = []
    for _ in range(period_count(first, last, every)):
        year, month0 = divmod(index, 12)
        after = index + step
        end_year, end_month0 = divmod(after - 1, 12)
        end = date(end_year, end_month0 + 1, monthrange(end_year, end_month0 + 1)[1])
        if every == "month":
            label = f"{year:04d}-{month0 + 1:02d}"
        elif every == "quarter":
            label = f"{year:04d}-Q{month0 // 3 + 1}"
        else:
            label = f"{year:04d}"
        found.append((label, end))
        index = after
    return found


def in_range(day: date, text: str, name: str) -> date:
    """`day`, or InvalidInput naming the parameter when it is outside the dates the log
    keeps (one bound for every read: no answer is computed near the ends of the calendar)."""
    wide = out_of_range(day, day)
    if wide is not None:
        detail = f"could not use the date {text!r}: {wide}"
        raise InvalidInput(f"{name}: {detail}", [{"path": name, "message": detail}])
    return day


def today() -> date:
    """Today's date in UTC (the default `as_of` and the reference of relative dates)."""
    return datetime.now(UTC).date()


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


