"""The error types of the domain; the API maps each to an HTTP status in one table."""

from __future__ import annotations


class StancelineError(Exception):
    """Base of every error the service reports to a caller."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(StancelineError):
    """Input that does not validate; `errors` lists field paths and messages."""

    def __init__(self, detail: str, errors: list[dict[str, object]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class InvalidDate(InvalidInput):
    """A date expression that could not be understood."""

    def __init__(self, text: str, reason: str = "") -> None:
        message = f"could not understand the date {text!r}"
        super().__init__(f"{message}: {reason}" if reason else message)
        self.text = text


class NotFound(StancelineError):
    """The thing asked for does not exist; `errors` may name the field and the closest
    matches (`{"path": "query.topic", "message": ..., "matches": [...]}`)."""

    def __init__(self, detail: str, errors: list[dict[str, object]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class VersionConflict(StancelineError):
    """An `expect` did not match the stream's current version, or a version was taken."""


class RegistryConflict(StancelineError):
    """A registration of an id that is already registered (updates change it instead)."""


class IdConflict(StancelineError):
    """An event id was reused for a different event."""


class Unauthorized(StancelineError):
    """A write came without a valid bearer token."""


class PayloadTooLarge(StancelineError):
    """A request body over the configured limit."""


class LimitExceeded(InvalidInput):
    """A configured limit (batch size, string length, page size) was exceeded."""


class Busy(StancelineError):
    """The log could not be written in time (another writer held it): retry."""


class NoStore(StancelineError):
    """A read-only command named a store that does not exist or is not migrated to head."""


class CorruptRecord(StancelineError):
    """A stored row that cannot be read back as an event (its JSON or a date is not what the
    store writes): the store was changed outside the service. `position` names the row."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"the stored event at position {position} cannot be read: {reason}")
        self.position = position
        self.reason = reason
