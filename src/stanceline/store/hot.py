"""Per-thread autocommit driver connections for the hottest reads (the as-of probe).

Borrowing from the pool and wrapping a read in BEGIN/ROLLBACK costs more than the as-of query
itself (~40 us on SQLite, two round trips on PostgreSQL); a single statement needs neither.
The connections are the store's own, outside the pool that writers use.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sqlalchemy.engine import Engine

from stanceline.store.dialect import Dialect

MAX_HOT_CONNECTIONS = 8


class HotReads:
    """One driver connection per reading thread, up to MAX_HOT_CONNECTIONS."""

    def __init__(self, engine: Engine, dialect: Dialect) -> None:
        self._engine = engine
        self._dialect = dialect
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _connection(self) -> Any | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                # A few threads answer most reads (the event loop, a handful of pool threads);
                # past that, threads share the pool rather than each holding a connection.
                if len(self._all) >= MAX_HOT_CONNECTIONS:
                    return None
            conn = self._dialect.hot_connect(self._engine)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def fetch(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """Run one read statement; a broken connection is replaced once."""
        for attempt in (1, 2):
            conn = self._connection()
            if conn is None:
                with self._engine.connect() as pooled:
                    return list(pooled.exec_driver_sql(sql, params).all())
            try:
                cursor = conn.cursor()
                try:
                    self._dialect.hot_execute(cursor, sql, params)
                    return list(cursor.fetchall())
                finally:
                    cursor.close()
            except Exception:
                self._local.conn = None
                with self._lock:
                    self._all.remove(conn)
                with contextlib.suppress(Exception):
                    conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
