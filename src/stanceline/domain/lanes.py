"""The timeline's lanes when a log is too large to draw event by event: the busiest actors keep
a lane each, the others share one (pure; both stores and the page use it)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

OTHERS = "*"  # the lane the actors beyond the busiest share

BucketRow = tuple[str, str, str, int]  # (lane actor, month `YYYY-MM`, stance or type, count)


def busiest_lanes(totals: Mapping[str, int], lanes: int) -> list[str]:
    """The `lanes` actors with the most dated events, ties broken by id."""
    return sorted(sorted(totals, key=lambda a: (-totals[a], a))[:lanes])


def lane_totals(rows: Iterable[BucketRow]) -> dict[str, int]:
    """Each lane's count over its rows."""
    totals: dict[str, int] = {}
    for lane, _, _, n in rows:
        totals[lane] = totals.get(lane, 0) + n
    return totals


def fold(rows: Iterable[BucketRow], kept: Collection[str] | None) -> list[BucketRow]:
    """The rows of the `kept` lanes, and every other lane's summed under OTHERS, sorted;
    `kept` None keeps every lane."""
    counts: dict[tuple[str, str, str], int] = {}
    for lane, month, kind, n in rows:
        key = (lane if kept is None or lane in kept else OTHERS, month, kind)
        counts[key] = counts.get(key, 0) + n
    return sorted((*key, n) for key, n in counts.items() if n)
