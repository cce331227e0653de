"""A small HTTP/1.1 load generator: keep-alive connections on asyncio streams, each sending
requests back to back and reading each response whole (status line, headers, Content-Length
or chunked body), for a fixed time after a warm-up.

It runs in its own process (see `stanceline.bench.http`) so that it never shares a GIL with the
process that measures, and it imports nothing but the standard library (and uvloop, if present).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Tally:
    measure_from: float
    stop_at: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def _nearest_rank(ordered: Sequence[float], q: float) -> float:
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _client(host: str, port: int, requests: Sequence[bytes], offset: int,
                  tally: _Tally) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter
    index = offset
    try:
        while True:
            t0 = clock()
            if t0 >= tally.stop_at:
                return
            writer.write(requests[index % len(requests)])
            index += 1
            status = await _read_response(reader)
            t1 = clock()
            if t0 >= tally.measure_from and t1 <= tally.stop_at:
                tally.latencies.append(t1 - t0)
                tally.statuses[status] = tally.statuses.get(status, 0) + 1
                if status != 200:
                    tally.errors += 1
    finally:
        writer.close()
        await writer.wait_closed()


async def _run(host: str, port: int, paths: Sequence[str], concurrency: int, warmup: float,
               duration: float) -> _Tally:
    requests = [f"GET {p} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode() for p in paths]
    start = time.perf_counter()
    tally = _Tally(start + warmup, start + warmup + duration)
    step = max(1, len(requests) // concurrency)
    await asyncio.gather(*(_client(host, port, requests, i * step, tally)
                           for i in range(concurrency)))
    return tally


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def load(port: int, paths: Sequence[str], concurrency: int, warmup: float, duration: float,
         host: str = "127.0.0.1") -> dict[str, Any]:
    """Hammer `paths` (in turn) with `concurrency` connections; requests/s and latencies (ms)
    of the requests that started after the warm-up and finished within `duration`."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        tally = runner.run(_run(host, port, paths, concurrency, warmup, duration))
    ordered = sorted(tally.latencies)
    if not ordered:
        return {"requests": 0, "rps": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0,
                "statuses": {}}
    return {"requests": len(ordered), "rps": len(ordered) / duration,
            "p50_ms": _nearest_rank(ordered, 0.50) * 1e3,
            "p99_ms": _nearest_rank(ordered, 0.99) * 1e3,
            "errors": tally.errors, "statuses": tally.statuses}
