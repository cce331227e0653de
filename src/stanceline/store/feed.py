"""Wake live readers when the log grows: LISTEN/NOTIFY on PostgreSQL, a cheap poll elsewhere.

A reader registers, reads what it has not seen (the catch-up read), then waits; because it is
registered before it reads, an append that lands between the read and the wait still wakes it.
Appends made by any process on the same PostgreSQL database notify every listening process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa

from stanceline.store.dialect import DIALECTS, NOTIFY_CHANNEL

log = logging.getLogger("stanceline.feed")
POLL_SECONDS = 0.25


class AppendFeed:
    """One per process: tells waiting readers that positions past theirs may exist."""

    def __init__(self, head: Callable[[], int], url: str | None = None) -> None:
        self._head = head
        self._url = url if url and _notifies(url) else None
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        # The highest position announced so far: a reader that read up to `after` before a
        # notification reached it sees this is ahead and does not wait at all.
        self._latest = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def notified(self) -> bool:
        """Whether appends are pushed (LISTEN/NOTIFY) rather than polled for."""
        return self._url is not None

    def start(self) -> None:
        """Start listening (PostgreSQL only; elsewhere waiting polls)."""
        if self._url is not None and self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="stanceline-listen",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()

    async def wait(self, after: int, timeout: float) -> None:
        """Return once the log may have grown past `after`, or after `timeout` seconds."""
        if not self.notified:
            await self._poll(after, timeout)
            return
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            if self._latest > after:
                return
            self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter[1].wait(), timeout)
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    async def _poll(self, after: int, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if await asyncio.to_thread(self._head) > after:
                return
            await asyncio.sleep(POLL_SECONDS)

    def _wake(self, position: int | None = None) -> None:
        with self._lock:
            if position is not None:
                self._latest = max(self._latest, position)
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def _listen(self) -> None:
        import psycopg

        assert self._url is not None
        dsn = sa.make_url(self._url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    # A reconnect may have missed notifications: wake everyone to re-read.
                    self._wake()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0, stop_after=1):
                            self._wake(int(note.payload) if note.payload.isdigit() else None)
            except psycopg.Error as exc:
                log.warning("live feed lost its PostgreSQL connection (%s); retrying", exc)
                self._stop.wait(1.0)


def _notifies(url: str) -> bool:
    """Whether the engine a URL names announces appends (the in-memory store has none)."""
    dialect = DIALECTS.get(sa.make_url(url).get_backend_name())
    return dialect is not None and dialect.notifies
