"""The SQL store, one class for SQLite and PostgreSQL: the only SQL and the only commits.

Appends run in transactions that hold the log's write lock (the dialect's: BEGIN IMMEDIATE
on SQLite, a transaction-scoped advisory lock on PostgreSQL), so positions are gap-free and
follow commit order, and every projection in PROJECTIONS changes in the same transaction as
the log. Appends that arrive together share one such transaction, each in a savepoint of its
own (store/group_commit.py); an append's work is store/appending.py. Engine differences live
in store/dialect.py; each projection in store/projections/.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from stanceline.domain import imports
from stanceline.domain.append import Appended, dedupe_batch
from stanceline.domain.chain import GENESIS, ChainChecker, ChainReport
from stanceline.domain.checkpoint import Checkpoint, Signer
from stanceline.domain.events import PreparedEvent, RecordedEvent, utc_now
from stanceline.domain.lanes import BucketRow, fold, lane_totals
from stanceline.domain.projections import (
    STANCE,
    Change,
    Stance,
    changes_of,
    stance_from,
)
from stanceline.domain.quotes import normalise
from stanceline.domain.voids import Void
from stanceline.errors import InvalidInput
from stanceline.store import checkpoints, roles, stances
from stanceline.store.appending import AppendWork, head_of, project
from stanceline.store.base import EventFilter, Head
from stanceline.store.checks import Checks
from stanceline.store.dialect import NOTIFY_CHANNEL, dialect_for
from stanceline.store.group_commit import GroupCommit
from stanceline.store.hot import HotReads
from stanceline.store.pipeline import writes
from stanceline.store.projections import (
    PROJECTIONS,
    event_refs,
    months,
    stance_pairs,
    voids,
)
from stanceline.store.rebuild import rebuild_projections
from stanceline.store.registry_reads import RegistryReads
from stanceline.store.rows import EVENT_COLUMNS, moment_bound, row_to_event
from stanceline.store.schema import events
from stanceline.store.sessions import SessionLimits
from stanceline.store.verify import compare_projections, walk

__all__ = ["NOTIFY_CHANNEL", "SqlEventStore"]

_PAGE = 10_000


class SqlEventStore(RegistryReads):
    """The event log and its projections in one SQL database (SQLite or PostgreSQL)."""

    def __init__(self, url: str, *, migrate: bool = True,
                 limits: SessionLimits | None = None) -> None:
        self.url = url
        # The engine's differences, chosen once by its name.
        self.sql = dialect_for(url)
        # The engine's name ("sqlite", "postgresql"), for tools and tests; the store's own
        # logic asks `self.sql` instead of comparing it.
        self.dialect = self.sql.name
        self.engine = self.sql.create_engine(url, limits)
        self._writer = self.engine.execution_options(stanceline_write=True)
        self._as_of = self.sql.named(stances.AS_OF)
        self._matrix = stances.matrix_statements(self.sql.named, self.dialect == "postgresql")
        self._kind = self.sql.named("SELECT kind FROM actors WHERE actor = :actor")
        self._hot = HotReads(self.engine, self.sql)
        self._checks = Checks(self.sql)
        self._work = AppendWork(self.sql, self._checks)
        # Concurrent appends share a transaction and its commit (tests read its counters).
        self.group = GroupCommit(self._batch, self._savepoint)
        if migrate:
            self.migrate()

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from stanceline.store.migrate import upgrade

        upgrade(self.engine)

    def guard_bypass(self) -> str | None:
        """Whether the role the store connects as could switch the append-only guards off
        (a sentence saying how), or None: run the service as a role that cannot."""
        with self._read() as conn:
            return roles.guard_bypass(conn)

    def grant_app(self, role: str) -> list[str]:
        """Grant `role` what the service needs and no more (store/roles.py); run as the
        tables' owner. PostgreSQL only: SQLite has no roles."""
        if self.dialect != "postgresql":
            raise InvalidInput("roles are PostgreSQL's: on SQLite whoever can write the file "
                               "can do anything to it")
        with self.engine.begin() as conn:
            granted = roles.app_grants(conn, role)
            for statement in granted:
                conn.exec_driver_sql(statement)
        return granted

    def close(self) -> None:
        """Release every connection."""
        self._hot.close()
        self.engine.dispose()

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            self.sql.lock(conn)
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # -- append -------------------------------------------------------------------------
    def append(
        self, batch: Sequence[PreparedEvent], expect: Mapping[str, int] | None = None
    ) -> list[Appended]:
        """Append a batch atomically, committed with the appends of other threads waiting at
        the same time (one commit for all; see store/group_commit.py)."""
        unique = dedupe_batch(batch)
        if not unique:
            return []
        return self.group.run(lambda conn: self._work(conn, unique, expect or {}))

    @contextmanager
    def _batch(self) -> Iterator[Connection]:
        """The shared transaction of a group commit."""
        try:
            with self._write() as conn:
                yield conn
                self.sql.commit(conn)
        except BaseException:
            self._checks.forget()
            raise

    @contextmanager
    def _savepoint(self, conn: Connection, name: str) -> Iterator[None]:
        """One request of a group commit, undone alone if it fails; on PostgreSQL in one
        pipeline (its SAVEPOINT goes with its reads, its writes with the pipeline's end).
        Savepoints end with the transaction: a RELEASE would cost a round trip, gain nothing."""
        try:
            with writes(conn, self.sql.pipelines):
                conn.exec_driver_sql(f"SAVEPOINT {name}")
                yield
        except BaseException:
            conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")
            raise

    def rebuild(self) -> int:
        """Recompute every projection table from the log, in one transaction
        (store/rebuild.py)."""
        with self._write() as conn:
            rebuild_projections(conn, self.sql)
            return head_of(conn)[0]

    def import_events(self, recorded: Iterable[RecordedEvent]) -> int:
        """Restore an exported log into this empty store, row for row (positions, times and
        hashes kept); the chain is checked as it goes, and each event as an append checks it
        (`domain.imports.check_page`): nothing is kept if either fails."""
        count = 0
        with self._write() as conn:
            if head_of(conn)[0] != 0:
                raise InvalidInput("import needs an empty store: this one already has events")
            checker = ChainChecker()
            batch: list[RecordedEvent] = []
            for event in recorded:
                checker.check(event)
                batch.append(event)
                if len(batch) >= _PAGE:
                    self._insert_recorded(conn, batch)
                    count += len(batch)
                    batch = []
            if batch:
                self._insert_recorded(conn, batch)
                count += len(batch)
        return count

    def _insert_recorded(self, conn: Connection, batch: Sequence[RecordedEvent]) -> None:
        # Checked as an append would be, against what the earlier pages put in (same
        # transaction): a doctored backup is refused and nothing of it is kept.
        imports.check_page(batch, lambda page: self._checks.known(conn, page),
                           lambda ids: voids.targets(conn, ids), normalise)
        # One recording time per statement (the dialect writes a batch's time once).
        start = 0
        while start < len(batch):
            end = start
            while end < len(batch) and batch[end].recorded_at == batch[start].recorded_at:
                end += 1
            self.sql.insert_events(conn, batch[start:end])
            start = end
        project(conn, self.sql, batch, PROJECTIONS)

    # -- the log ------------------------------------------------------------------------
    def get(self, event_id: str) -> RecordedEvent | None:
        """One event by id."""
        with self._read() as conn:
            row = conn.execute(sa.select(*EVENT_COLUMNS).where(events.c.id == event_id)).first()
        return None if row is None else row_to_event(row)

    def read(self, flt: EventFilter) -> list[RecordedEvent]:
        """Events matching `flt` in position order, at most `flt.limit` of them."""
        query = (sa.select(*EVENT_COLUMNS).where(*self._where(flt))
                 .order_by(events.c.position).limit(flt.limit))
        with self._read() as conn:
            return [row_to_event(r) for r in conn.execute(query)]

    def count(self, flt: EventFilter) -> int:
        """How many events match a filter (its `after` and `limit` ignored)."""
        query = sa.select(sa.func.count()).select_from(events).where(*self._where(flt, after=0))
        with self._read() as conn:
            return months.count(conn, flt) if months.answers(flt, cursor=False) \
                else int(conn.execute(query).scalar_one())

    def lane_totals(self, flt: EventFilter) -> dict[str, int]:
        """Matching dated events counted by lane actor (the busiest keep a timeline lane)."""
        with self._read() as conn:
            return months.lane_totals(conn, flt) if months.answers(flt) \
                else lane_totals(months.grouped(conn, self.sql, self._where(flt)))

    def buckets(self, flt: EventFilter, kept: Collection[str] | None = None
                ) -> list[BucketRow]:
        """Matching dated events counted by (actor, month, stance or type), from month_counts
        where it answers the filter; with `kept`, the other lanes' are summed under "*"."""
        with self._read() as conn:
            return months.buckets(conn, flt, kept) if months.answers(flt) \
                else fold(months.grouped(conn, self.sql, self._where(flt)), kept)

    def _where(self, flt: EventFilter, after: int | None = None) -> list[ColumnElement[bool]]:
        """The conditions of a filter on the log (the in-memory store's `matches`)."""
        found = [events.c.position > (flt.after if after is None else after)]
        if flt.actor is not None:
            as_stance = sa.and_(events.c.type == STANCE, events.c.actor == flt.actor)
            found.append(sa.or_(as_stance, events.c.position.in_(event_refs.naming(flt.actor))))
        if flt.topic is not None:
            found.append(events.c.topic == flt.topic)
        if flt.type is not None:
            found.append(events.c.type == flt.type)
        if flt.occurred_from is not None:
            found.append(events.c.occurred_end >= flt.occurred_from)
        if flt.occurred_to is not None:
            found.append(events.c.occurred_start <= flt.occurred_to)
        if flt.known_at is not None:
            found.append(events.c.recorded_at <= moment_bound(flt.known_at))
        if flt.recorded_by is not None:
            found.append(events.c.recorded_by == flt.recorded_by)
        return found

    def iter_all(self, after: int = 0) -> Iterator[RecordedEvent]:
        """Every event after `after` as stored, fetched in pages so memory stays flat."""
        page = 5_000
        while True:
            query = (sa.select(*EVENT_COLUMNS).where(events.c.position > after)
                     .order_by(events.c.position).limit(page))
            with self._read() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                yield row_to_event(row, upcasted=False)
            if len(rows) < page:
                return
            after = rows[-1].position

    def voids(self, ids: Collection[str], known_at: datetime | None = None
              ) -> dict[str, Void]:
        """The void table's first void of each id recorded by `known_at`, with its event's
        type (a retraction or a correction), one statement per chunk of ids."""
        with self._read() as conn:
            return voids.read(conn, self.sql, ids, known_at)

    def head(self) -> int:
        """The last position (0 for an empty log)."""
        with self._read() as conn:
            return head_of(conn)[0]

    def head_mark(self) -> Head:
        """The head on this thread's hot connection (asked before every cacheable read)."""
        rows = self._hot.fetch(stances.HEAD, {})
        if not rows:
            return Head(0, GENESIS, None)
        position, head_hash, recorded_at = rows[0]
        return Head(int(position), str(head_hash), self.sql.read_moment(recorded_at))

    def verify(self, deep: bool = False) -> ChainReport:
        """Walk the whole chain from position 1, checking every column the queries read;
        `deep`: and compare every projection table with the log (store/verify.py)."""
        report = walk(self.engine, self.sql)
        return compare_projections(self.engine, self.sql, report) if (
            deep and report.ok) else report

    def checkpoint(self, signer: Signer) -> Checkpoint:
        """The signer's checkpoint of the head, signed under the write lock when the newest
        one is behind it (store/checkpoints.py)."""
        with self._read() as conn:
            found, head = checkpoints.latest(conn, signer.public_key), head_of(conn)
        if found is not None and (found.position, found.hash) == head:
            return found
        with self._write() as conn:
            return checkpoints.current(conn, signer, head_of(conn), utc_now)

    # -- stances: the hot read path -----------------------------------------------------
    def stance(self, actor: str, topic: str, as_of: date, known_at: datetime | None = None,
               *, speaker: str | None = None, reported: date | None = None) -> Stance:
        """The hot read of the service: one statement on this thread's own autocommit driver
        connection (no pool checkout, no BEGIN/ROLLBACK), a consistent snapshot by itself.

        It reads back only as far as the latest streak of one stance reaches (a run never
        spans a change of stance); asking for a speaker or a publication bound reads the
        pair's whole history instead.
        """
        if speaker is not None or reported is not None:
            with self._read() as conn:
                found = [row_to_event(r) for r in
                         conn.execute(stances.history(actor, topic, known_at))]
            return stance_from(found, actor, topic, as_of, speaker=speaker, reported=reported)
        params = stances.params(self.sql, actor, topic, as_of, known_at)

        def fetch(reach: int) -> list[RecordedEvent]:
            return [row_to_event(raw, values=self.sql)
                    for raw in self._hot.fetch(self._as_of, {**params, "n": reach})]

        return stances.latest(fetch, actor, topic, as_of)

    def matrix(self, as_of: date, known_at: datetime | None = None, *,
               actor: str | None = None, topic: str | None = None) -> list[Stance]:
        """Every pair's stance from one statement (stances.matrix) that reads each pair's
        latest streak, decided pair by pair by the same pure fold as the single probe."""
        # On the hot driver connection: SQLAlchemy's result rows cost ~15 us each here.
        rows = self._hot.fetch(self._matrix[actor is not None, topic is not None],
                               {**stances.params(self.sql, actor, topic, as_of, known_at),
                                "n": stances.MATRIX_REACH})
        return stances.by_pair((row_to_event(r, values=self.sql) for r in rows),
                               self.stance_pairs(actor, topic), as_of,
                               lambda a, t: self.stance(a, t, as_of, known_at))

    def history(self, actor: str, topic: str, known_at: datetime | None = None, *,
                speaker: str | None = None) -> list[Change]:
        """Each change of stance of `actor` on `topic`, known at `known_at`."""
        with self._read() as conn:
            return changes_of([row_to_event(r) for r in
                               conn.execute(stances.history(actor, topic, known_at))], speaker)

    def voiced_pairs(self, speaker: str, topic: str | None = None) -> list[tuple[str, str]]:
        """The (actor, topic) pairs `speaker` voiced a stance for, and their own."""
        with self._read() as conn:
            found = {(r.actor, r.topic) for r in
                     conn.execute(stances.voiced_pairs(speaker, topic))}
            found |= {(r.actor, r.topic) for r in
                      conn.execute(stance_pairs.query(speaker, topic))}
        return sorted(found)

    def changed_pairs(self, start: date, end: date, topic: str | None = None,
                      known_at: datetime | None = None) -> list[tuple[str, str]]:
        """The pairs whose stance may differ between two dates."""
        with self._read() as conn:
            return sorted((r.actor, r.topic) for r in
                          conn.execute(stances.changed_pairs(start, end, topic, known_at)))

    # -- projections' queries (the rest: store/registry_reads.py) ------------------------
    def actor_kind(self, actor: str) -> str | None:
        """An actor's kind, on this thread's hot connection (no session, no pool checkout)."""
        rows = self._hot.fetch(self._kind, {"actor": actor})
        return None if not rows else str(rows[0][0])
