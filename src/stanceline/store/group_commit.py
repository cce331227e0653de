"""Group commit: appends that arrive together share one transaction and one commit (one fsync).

A caller queues its work and waits. Whoever finds no commit in progress leads: it takes the
queue (up to `cap`), runs each work item in a savepoint of one write transaction, commits
once, and hands every caller its own answer or its own exception. A lone caller leads its
own batch at once (nobody waits for company), and a batch of one needs no savepoint: its
failure rolls the whole transaction back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

T = TypeVar("T")


@dataclass(slots=True)
class _Request(Generic[T]):
    work: Callable[[Connection], T]
    done: bool = False
    value: Any = None
    error: BaseException | None = None

    def answer(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[no-any-return]


class GroupCommit:
    """Runs work items in shared write transactions, each item atomic on its own."""

    def __init__(self, begin: Callable[[], AbstractContextManager[Connection]],
                 savepoint: Callable[[Connection, str], AbstractContextManager[None]],
                 cap: int = 32) -> None:
        self._begin = begin
        self._savepoint = savepoint
        # PostgreSQL keeps 64 subtransactions (savepoints) of a transaction in shared memory;
        # beyond that every snapshot of every session gets slower. A batch stays under it.
        self._cap = cap
        self._queue: list[_Request[Any]] = []
        self._leading = False
        self._turn = threading.Condition()
        # Work items handed in, and those run in transactions that committed, and those
        # commits (tests and the bench read them).
        self.arrived = 0
        self.requests = 0
        self.commits = 0

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` on a write connection; return its result once its transaction has
        committed, or raise its own exception (the other items of its batch are unaffected)."""
        request: _Request[T] = _Request(work)
        with self._turn:
            self._queue.append(request)
            self.arrived += 1
        while True:
            with self._turn:
                while self._leading and not request.done:
                    self._turn.wait()
                if request.done:
                    return request.answer()
                # No commit in progress: lead the queue as it stands (ours is in it, unless
                # more than `cap` were waiting; then the next round takes it).
                self._leading = True
                batch, self._queue = self._queue[:self._cap], self._queue[self._cap:]
            try:
                self._commit(batch)
            finally:
                with self._turn:
                    for item in batch:
                        item.done = True
                    self._leading = False
                    self._turn.notify_all()

    def _commit(self, batch: list[_Request[Any]]) -> None:
        alone = len(batch) == 1
        try:
            with self._begin() as conn:
                for index, item in enumerate(batch):
                    if alone:
                        item.value = item.work(conn)
                        continue
                    try:
                        with self._savepoint(conn, f"request_{index}"):
                            item.value = item.work(conn)
                    except Exception as exc:  # it is that caller's answer
                        item.error = exc
        except BaseException as exc:
            # Nothing of the batch was committed: every caller learns it, with the cause.
            for item in batch:
                if item.error is None:
                    item.value, item.error = None, exc
            if not isinstance(exc, Exception):
                raise
            return
        self.commits += 1
        self.requests += len(batch)
