"""Wide reads from a process of their own (so that the measuring test's threads do not share
a GIL with ten clients downloading megabytes): `python -m tests.reliability.wide_reads BASE
URL...` asks every URL at once, one thread each, and prints a JSON line `[status, seconds]`
as each answer arrives (flushed, so a caller that kills it midway reads what finished)."""

from __future__ import annotations

import json
import sys
import threading
import time

import httpx


def main(base: str, urls: list[str]) -> None:
    """Ask each URL once, all at once; print each answer's status and duration."""
    lock = threading.Lock()

    def ask(url: str) -> None:
        with httpx.Client(base_url=base, timeout=600) as client:
            started = time.perf_counter()
            status = client.get(url).status_code
            with lock:
                print(json.dumps([status, time.perf_counter() - started]), flush=True)

    threads = [threading.Thread(target=ask, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
