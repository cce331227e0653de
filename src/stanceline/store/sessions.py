"""The limits every PostgreSQL session of the store runs under."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """How long a PostgreSQL session may hold the log without progress, in seconds (0: no
    limit). A client killed mid-transaction whose socket stays open (a forked child once kept
    it) sat "idle in transaction" holding the append lock, and every writer waited for ever:
    the server now ends such a session, and a writer waiting on a lock gives up instead."""

    idle_in_transaction: float = 5.0
    lock: float = 10.0

    def options(self) -> str:
        """The libpq `options` that set them for every session of an engine."""
        return (f"-c idle_in_transaction_session_timeout={round(self.idle_in_transaction * 1000)}"
                f" -c lock_timeout={round(self.lock * 1000)}")
