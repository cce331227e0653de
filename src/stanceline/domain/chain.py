"""The SHA-256 hash chain: each event's content digest linked to the hash before it.

A changed, inserted or removed row breaks the chain at its position.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stanceline.domain.digest import content_digest, link_hash
from stanceline.domain.events import RecordedEvent, format_timestamp
from stanceline.errors import CorruptRecord, InvalidInput

GENESIS = "0" * 64


def recorded_hash(event: RecordedEvent) -> str:
    """Recompute the hash of a stored event from its own fields."""
    return link_hash(event.prev_hash, event.position, event.version,
                     format_timestamp(event.recorded_at), content_digest(event))


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What walking the chain found."""

    ok: bool
    events: int
    head: str
    broken_at: int | None = None
    detail: str = ""
    # Where a finding lies besides its position: the log's column that disagrees with what
    # the hash covers, or the projection table that disagrees with the log (`verify --deep`).
    column: str | None = None
    table: str | None = None


class ChainBroken(InvalidInput):
    """An event does not continue the chain; `position` is where it breaks."""

    def __init__(self, position: int, detail: str) -> None:
        super().__init__(f"chain broken at position {position}: {detail}")
        self.position = position
        self.reason = detail


class ColumnMismatch(ChainBroken):
    """A stored column the queries read disagrees with what the event's hash covers."""

    def __init__(self, position: int, column: str, detail: str) -> None:
        super().__init__(position, f"column `{column}` {detail}")
        self.column = column


# The log's columns denormalised from `data` for the queries' indexes (the stance query
# filters on them), derived at append exactly so: `data[column]`, or NULL when absent.
DERIVED_COLUMNS = ("actor", "topic")


def check_derived(event: RecordedEvent) -> None:
    """Raise ColumnMismatch when `actor` or `topic` is not what the (hashed) `data` says: the
    hash does not cover these columns, so an edit of them alone moves an answer silently."""
    for column in DERIVED_COLUMNS:
        held, derived = getattr(event, column), event.data.get(column)
        if held != derived:
            raise ColumnMismatch(event.position, column,
                                 f"holds {held!r} but the event's data (covered by its hash) "
                                 f"says {derived!r}")


class ChainChecker:
    """Checks events one by one, in position order, against the chain so far."""

    def __init__(self) -> None:
        self.head = GENESIS
        self.count = 0

    def check(self, event: RecordedEvent) -> None:
        """Accept the next event, or raise ChainBroken naming its position."""
        expected = self.count + 1
        if event.position != expected:
            raise ChainBroken(expected, f"position {expected} is missing "
                                        f"(next row is {event.position})")
        if event.prev_hash != self.head:
            raise ChainBroken(event.position,
                              "prev_hash does not match the hash of the event before it")
        if recorded_hash(event) != event.hash:
            raise ChainBroken(event.position, "the row's content does not match its hash")
        check_derived(event)
        self.head = event.hash
        self.count += 1


def verify_chain(events: Iterable[RecordedEvent]) -> ChainReport:
    """Walk events in position order; name the first position whose row or link is wrong."""
    checker = ChainChecker()
    try:
        for event in events:
            checker.check(event)
    except ChainBroken as broken:
        return broken_report(checker, broken)
    except CorruptRecord as corrupt:
        return ChainReport(False, checker.count, checker.head, corrupt.position,
                           f"the stored row cannot be read ({corrupt.reason})")
    return ChainReport(True, checker.count, checker.head)


def broken_report(checker: ChainChecker, broken: ChainBroken) -> ChainReport:
    """The report of a walk that stopped at `broken`."""
    return ChainReport(False, checker.count, checker.head, broken.position, broken.reason,
                       column=getattr(broken, "column", None))
