"""Heavy reads: off the event loop, and only a few at a time.

A matrix, the moves between two dates, a chain walk or the page is CPU-bound Python for up to
seconds on a large log. In a thread it no longer blocks the event loop outright, but it still
takes the GIL: ten of them at once leave the loop one turn in eleven, and `/healthz` waits
behind them (measured: a median of hundreds of ms). So heavy reads share a small capacity
limiter of their own, apart from the thread pool that short requests use: past
`HEAVY_READS` at once they queue (costing nothing while they wait) instead of crowding the
GIL, and each SQLite connection they use is one of few, which bounds memory as well.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import sys
import weakref
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread

P = ParamSpec("P")
T = TypeVar("T")

# Two cores: two heavy reads keep both busy (SQLite and psycopg release the GIL while they
# fetch), and the event loop contends with at most two threads for the GIL.
HEAVY_READS = 2

# One limiter per event loop: a limiter's waiters belong to the loop they wait on (a server
# has one loop; tests start a loop per client).
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary())


def limiter() -> anyio.CapacityLimiter:
    """The running loop's heavy-read limiter."""
    loop = asyncio.get_running_loop()
    found = _limiters.get(loop)
    if found is None:
        found = _limiters[loop] = anyio.CapacityLimiter(HEAVY_READS)
    return found


async def heavy(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a long read in a worker thread, at most `HEAVY_READS` of them at once."""
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs),
                                          limiter=limiter())


# -- garbage collection, when the process is quiet ------------------------------------------
# Measured on a 100k-event log with ten wide reads in flight: a full (generation 2) collection
# walks every object those answers hold and stops every thread, the event loop's too, for
# 150-350 ms; with collections off, `/healthz` never took more than ~50 ms. So a serving
# process leaves generations 0 and 1 automatic (cheap: they walk only young objects) and runs
# the full collection itself, when no heavy read is in flight, or when one is overdue.
YOUNG_THRESHOLDS = (700, 10)
NEVER = 2**31 - 1
QUIET_EVERY_SECONDS = 5.0
OVERDUE_SECONDS = 60.0
SWITCH_SECONDS = 0.001


def busy() -> bool:
    """Whether a heavy read runs or waits on the running loop."""
    found = _limiters.get(asyncio.get_running_loop())
    if found is None:
        return False
    stats = found.statistics()
    return stats.borrowed_tokens > 0 or stats.tasks_waiting > 0


async def collect_when_quiet(every: float = QUIET_EVERY_SECONDS,
                             overdue: float = OVERDUE_SECONDS) -> None:
    """Own the full garbage collections of this process until cancelled (then hand them back
    to the interpreter): every `every` seconds when no heavy read is in flight, and at the
    latest after `overdue` seconds, so cyclic garbage is still freed under constant load.
    Meanwhile the GIL's switch interval is shortened (SWITCH_SECONDS)."""
    previous, interval = gc.get_threshold(), sys.getswitchinterval()
    # A thread that wants the GIL asks the holder to drop it after this long: the loop then
    # waits 1 ms, not 5 ms, behind a heavy read each time it wakes (at most two contend).
    sys.setswitchinterval(SWITCH_SECONDS)
    # What the process holds at start (modules, the app, the registry) is never garbage:
    # frozen, a full collection skips it, and so costs a few ms when quiet.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*YOUNG_THRESHOLDS, NEVER)
    loop = asyncio.get_running_loop()
    last = loop.time()
    try:
        while True:
            await asyncio.sleep(every)
            if not busy() or loop.time() - last >= overdue:
                gc.collect()
                last = loop.time()
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
        sys.setswitchinterval(interval)
