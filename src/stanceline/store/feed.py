"""One watcher per process follows the log and fans its new events out to live subscribers.

Each `/api/live` subscriber used to poll the store on its own: 200 idle subscribers on SQLite
cost about 80% of a core. Now one task per process (per store) watches: on PostgreSQL it is
woken by LISTEN/NOTIFY (appends made by any process on the database), elsewhere it asks for
the head every POLL_SECONDS, once for everybody. When the log grew it reads the new events
once, keeps the latest KEEP of them, and wakes every subscriber; a subscriber takes what it has
not sent from that buffer, and reads the store itself only when it is further behind than the
buffer reaches (a reconnect after a long absence, `after=0`). So the store's reads follow the
appends, not the subscribers.

The buffer holds every event in (`floor`, `latest`], as the log's read (`Service.events`)
answers them, so a subscriber sends exactly what its own read would have.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

import sqlalchemy as sa

from stanceline.domain.events import RecordedEvent
from stanceline.store.dialect import DIALECTS, NOTIFY_CHANNEL

log = logging.getLogger("stanceline.feed")
POLL_SECONDS = 0.25
# With NOTIFY a missed notification (a reconnect of the listener) is caught by this re-check.
RESYNC_SECONDS = 5.0
BATCH = 500
KEEP = 1_000

# (events after a position, at most so many) -> (the events, the next page's cursor or None)
Read = Callable[..., tuple[list[RecordedEvent], int | None]]


class AppendFeed:
    """One per process and store: the watcher, its buffer of recent events, its waiters."""

    def __init__(self, head: Callable[[], int], url: str | None = None,
                 read: Read | None = None) -> None:
        self._head = head
        self._read = read
        self._url = url if url and _notifies(url) else None
        # Every event in (floor, latest] is in `_recent` (by position; `_positions` mirrors it
        # for bisect); `latest` is how far the watcher has read.
        self._floor = 0
        self._latest = 0
        self._recent: list[RecordedEvent] = []
        self._positions: list[int] = []
        # Set (and replaced) each time the log is seen to grow: waking every waiter is O(1).
        self._grown: asyncio.Event | None = None
        self._nudge: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscribers = 0
        self._closing = False
        # How many times the watcher read the store (the head, or new events): for tests and
        # the soak, which check that it does not grow with the subscribers.
        self.reads = 0

    @property
    def notified(self) -> bool:
        """Whether appends are pushed (LISTEN/NOTIFY) rather than polled for."""
        return self._url is not None

    @property
    def latest(self) -> int:
        """How far the watcher has read the log."""
        return self._latest

    def start(self) -> None:
        """Start the watcher on the running event loop (and the listener, on PostgreSQL)."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._grown = asyncio.Event()
        self._nudge = asyncio.Event()
        self._floor = self._latest = self._head()
        self._task = self._loop.create_task(self._watch(), name="stanceline-watch")
        if self._url is not None:
            self._thread = threading.Thread(target=self._listen, name="stanceline-listen",
                                            daemon=True)
            self._thread.start()

    async def close(self) -> None:
        """Stop watching and listening. The watcher finishes the read it is making first, so
        no read of the store outlives the feed (the store may be closed next)."""
        self._stop.set()
        self._closing = True
        task, self._task = self._task, None
        if task is not None and self._nudge is not None:
            self._nudge.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), 10)
            except TimeoutError:
                task.cancel()

    @contextlib.contextmanager
    def subscribed(self) -> Iterator[None]:
        """While a subscriber is inside, the watcher follows the log; with none, it rests."""
        self._subscribers += 1
        if self._subscribers == 1 and self._nudge is not None:
            self._nudge.set()
        try:
            yield
        finally:
            self._subscribers -= 1

    def since(self, cursor: int, limit: int = BATCH) -> list[RecordedEvent] | None:
        """The buffered events after `cursor` (at most `limit`), or None when the buffer does
        not reach back that far (the caller reads the store)."""
        if cursor < self._floor:
            return None
        start = bisect.bisect_right(self._positions, cursor)
        return self._recent[start:start + limit]

    async def wait(self, after: int, timeout: float) -> None:
        """Return once the watcher has seen the log grow past `after`, or after `timeout`."""
        if self._latest > after:
            return
        if self._grown is None:
            # Not started (a caller outside an app): nothing will wake it, so just wait.
            await asyncio.sleep(timeout)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._grown.wait(), timeout)

    async def _watch(self) -> None:
        assert self._nudge is not None
        every = RESYNC_SECONDS if self.notified else POLL_SECONDS
        while not self._closing:
            if not self._subscribers:
                # Nobody listens: no reads at all. On the first subscriber, start again from
                # the head; what was appended meanwhile is read by whoever asks for it.
                self._nudge.clear()
                await self._nudge.wait()
                if self._closing:
                    return
                try:
                    self.reads += 1
                    head = await asyncio.to_thread(self._head)
                except Exception as exc:  # a lost database must not end the feed: retry
                    log.warning("live feed could not read the log (%s); retrying", exc)
                    continue
                if head > self._latest:
                    self._recent.clear()
                    self._positions.clear()
                    self._floor = self._latest = head
                    self._wake()
                continue
            # Cleared before the read: a notification that lands during it means look again.
            self._nudge.clear()
            try:
                self.reads += 1
                head = await asyncio.to_thread(self._head)
                if head > self._latest:
                    await self._catch_up(head)
            except Exception as exc:  # a lost database must not end the feed: retry
                log.warning("live feed could not read the log (%s); retrying", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudge.wait(), every)

    async def _catch_up(self, head: int) -> None:
        """Read what was appended up to `head` (or later) once, and wake everyone."""
        if self._read is None:
            self._latest = head
            self._floor = head
        else:
            while True:
                self.reads += 1
                page, following = await asyncio.to_thread(self._read, after=self._latest,
                                                          limit=BATCH)
                self._keep(page)
                # A short page ends at the log's end, which is at or past `head`.
                self._latest = max(self._latest, head, *(e.position for e in page[-1:]))
                if following is None:
                    break
        self._wake()

    def _keep(self, page: list[RecordedEvent]) -> None:
        self._recent.extend(page)
        self._positions.extend(e.position for e in page)
        if len(self._recent) > KEEP:
            cut = len(self._recent) - KEEP
            self._floor = self._positions[cut - 1]
            del self._recent[:cut], self._positions[:cut]

    def _wake(self) -> None:
        assert self._grown is not None
        self._grown.set()
        self._grown = asyncio.Event()

    def _listen(self) -> None:
        import psycopg

        assert self._url is not None and self._loop is not None
        loop, nudge = self._loop, self._nudge
        assert nudge is not None
        dsn = sa.make_url(self._url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    # A reconnect may have missed notifications: look again.
                    loop.call_soon_threadsafe(nudge.set)
                    while not self._stop.is_set():
                        for _note in conn.notifies(timeout=1.0, stop_after=1):
                            loop.call_soon_threadsafe(nudge.set)
            except psycopg.Error as exc:
                log.warning("live feed lost its PostgreSQL connection (%s); retrying", exc)
                self._stop.wait(1.0)
            except RuntimeError:
                # The loop closed under us (the app stopped): nothing left to wake.
                return


def _notifies(url: str) -> bool:
    """Whether the engine a URL names announces appends (the in-memory store has none)."""
    dialect = DIALECTS.get(sa.make_url(url).get_backend_name())
    return dialect is not None and dialect.notifies
