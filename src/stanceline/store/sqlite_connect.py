"""How the store's SQLite connections are made: pragmas, page caches, the pool, BEGIN.

Memory is bounded per connection: every pooled and hot connection keeps its own page cache,
so a reader's is small (its pages are in the OS's cache anyway: measured on 100,000 events,
the matrix and the as-of probe cost the same within noise with 2-16 MiB as with 64 MiB),
and the pool keeps few connections. A writer enlarges its cache while it holds its
connection.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

# SQLite's page cache per connection, in KiB: readers small, a writer large while it writes.
READ_CACHE_KIB = 4 * 1024
WRITE_CACHE_KIB = 64 * 1024
_WRITE_CACHE = "stanceline_write_cache"
# Connections kept by the pool; past them, up to the overflow are opened for a burst and
# closed (their cache with them) when returned.
SQLITE_POOL_SIZE = 4
SQLITE_POOL_OVERFLOW = 16


def sqlite_engine(url: str) -> Engine:
    """An engine whose connections get the pragmas below and begin as their use asks."""
    database = sa.make_url(url).database or ""
    # A file's pool is bounded (a memory database has SQLAlchemy's per-thread one).
    pool: dict[str, Any] = {} if database in ("", ":memory:") or "mode=memory" in url else {
        "pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW,
        "pool_use_lifo": True}
    engine = sa.create_engine(url, connect_args={"timeout": 60}, **pool)
    sa.event.listen(engine, "connect", on_connect)
    sa.event.listen(engine, "begin", on_begin)
    sa.event.listen(engine, "checkin", on_checkin)
    return engine


def on_connect(dbapi_connection: Any, _record: Any) -> None:
    """The pragmas of every connection (the pool's and the hot reads' alike)."""
    # Take transactions out of the driver's hands so that `begin` below decides their kind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Larger pages make index maintenance cheaper; it only takes effect on a new file.
    cursor.execute("PRAGMA page_size=16384")
    # WAL lets readers run beside the writer; FULL makes an acknowledged commit durable.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=60000")
    # A page cache per connection, so a small one: a reader's pages are in the OS's cache
    # anyway, and eight concurrent chain walks with 64 MiB each grew the server by 500 MiB
    # for good. A writer enlarges its own while it holds the connection (below).
    cursor.execute(f"PRAGMA cache_size=-{READ_CACHE_KIB}")
    cursor.close()


def on_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE for a writer (with its large cache), BEGIN for a reader."""
    # Writers take the write lock up front, so reading the head and inserting are one step.
    if conn.get_execution_options().get("stanceline_write"):
        info = conn.connection.info
        if not info.get(_WRITE_CACHE):
            # Index pages of a large log stay in memory while a load maintains them.
            conn.exec_driver_sql(f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
            info[_WRITE_CACHE] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def on_checkin(dbapi_connection: Any, record: Any) -> None:
    """Back in the pool, a writer's connection takes a reader's cache again."""
    # A writer's large cache lasts as long as its checkout: back in the pool, the connection
    # shrinks to a reader's (SQLite frees the pages past the new size at once).
    if record is not None and record.info.pop(_WRITE_CACHE, False):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_size=-{READ_CACHE_KIB}")
        cursor.close()
