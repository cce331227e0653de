"""The peer's aggregate and application (imported only when `eventsourcing` is installed).

They live at module level: `eventsourcing` registers each class under its topic once per
process, so they must not be redefined on every run.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Dossier(Aggregate):
    """An aggregate whose events carry a small payload, as a stance does."""

    def __init__(self) -> None:
        self.notes = 0

    @event("Noted")
    def note(self, stance: str, occurred: str) -> None:
        """One more stance noted."""
        self.notes += 1


class PeerApp(Application[Any]):
    """The peer's application."""
