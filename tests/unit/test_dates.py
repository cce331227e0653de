"""Fuzzy dates: the rules of stanceline.dates, one row each, and what must never happen."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stanceline import dates
from stanceline.dates import (
    DateSpan,
    OpenSpan,
    Precision,
    day_span,
    last_day,
    month_span,
    parse_date,
    parse_edtf,
    parse_open_date,
    parse_open_edtf,
    year_span,
)
from stanceline.domain.events import EVENT_IN, prepare
from stanceline.errors import InvalidDate

DAY, MONTH, YEAR = Precision.DAY, Precision.MONTH, Precision.YEAR

# Reference dates of the source articles, and a few chosen for the edges.
JAN28 = date(2025, 1, 28)  # a Tuesday
FEB04 = date(2025, 2, 4)  # a Tuesday
FEB20 = date(2025, 2, 20)
MAR01 = date(2025, 3, 1)  # a Saturday
MAR02 = date(2025, 3, 2)  # a Sunday
MAR04 = date(2025, 3, 4)  # a Tuesday
JAN08 = date(2026, 1, 8)

# (text, relative_to, edtf, precision, (start, end) when the span is not one calendar unit)
Row = tuple[str, date | None, str, Precision, tuple[date, date] | None]
ROWS: list[Row] = [
    # ISO/EDTF fast path
    ("2025-02-03", None, "2025-02-03", DAY, None),
    ("2024-02", None, "2024-02", MONTH, None),
    ("2025", None, "2025", YEAR, None),
    (" 2024-12-31 ", None, "2024-12-31", DAY, None),
    ("2014", None, "2014", YEAR, None),
    ("2022", None, "2022", YEAR, None),
    ("1999.", None, "1999", YEAR, None),
    # absolute dates in words
    ("3 February 2025", None, "2025-02-03", DAY, None),
    ("6 January 2026", None, "2026-01-06", DAY, None),
    ("Monday 3 February 2025", None, "2025-02-03", DAY, None),
    ("Feb 3, 2025", None, "2025-02-03", DAY, None),
    ("February 2024", JAN28, "2024-02", MONTH, None),
    ("January 2026", JAN28, "2026-01", MONTH, None),
    ("in 1999", JAN28, "1999", YEAR, None),
    # a day and a month, no year: the occurrence nearest to the reference date
    ("On January 6", JAN08, "2026-01-06", DAY, None),
    ("January 6", JAN08, "2026-01-06", DAY, None),
    ("6 January", JAN08, "2026-01-06", DAY, None),
    ("February 3", JAN28, "2025-02-03", DAY, None),
    ("on February 3", JAN28, "2025-02-03", DAY, None),
    ("February 23", JAN28, "2025-02-23", DAY, None),
    ("the February 23 election", JAN28, "2025-02-23", DAY, None),
    ("the February 23 parliamentary election", JAN28, "2025-02-23", DAY, None),
    ("the 3rd of February", MAR04, "2025-02-03", DAY, None),
    ("Sept. 3", FEB04, "2024-09-03", DAY, None),
    ("December 30", JAN28, "2024-12-30", DAY, None),
    ("February 29", JAN28, "2024-02-29", DAY, None),
    # a month, no year: nearest too
    ("February", JAN28, "2025-02", MONTH, None),
    ("in December", JAN28, "2024-12", MONTH, None),
    # last / this / next <Month>
    ("last February", JAN28, "2024-02", MONTH, None),
    ("last January", JAN28, "2024-01", MONTH, None),
    ("last February", MAR01, "2025-02", MONTH, None),
    ("this February", MAR01, "2025-02", MONTH, None),
    ("next February", MAR01, "2026-02", MONTH, None),
    ("last May", JAN28, "2024-05", MONTH, None),
    # early / mid / late: a third of a year (Jan-Apr, May-Aug, Sep-Dec) or of a month
    # (days 1-10, 11-20, 21-end); without a year, the latest such third begun by then
    ("mid-2024", None, "2024-05", MONTH, (date(2024, 5, 1), date(2024, 8, 31))),
    ("mid\u20132024", None, "2024-05", MONTH, (date(2024, 5, 1), date(2024, 8, 31))),
    ("early 2025", None, "2025-01", MONTH, (date(2025, 1, 1), date(2025, 4, 30))),
    ("in early 2024", None, "2024-01", MONTH, (date(2024, 1, 1), date(2024, 4, 30))),
    ("late 2025", None, "2025-09", MONTH, (date(2025, 9, 1), date(2025, 12, 31))),
    ("late 2024", None, "2024-09", MONTH, (date(2024, 9, 1), date(2024, 12, 31))),
    ("late-2024", None, "2024-09", MONTH, (date(2024, 9, 1), date(2024, 12, 31))),
    ("the end of 2024", None, "2024-09", MONTH, (date(2024, 9, 1), date(2024, 12, 31))),
    ("late last year", JAN28, "2024-09", MONTH, (date(2024, 9, 1), date(2024, 12, 31))),
    ("early this year", FEB20, "2025-01", MONTH, (date(2025, 1, 1), date(2025, 4, 30))),
    ("early February", MAR01, "2025-02-01", DAY, (date(2025, 2, 1), date(2025, 2, 10))),
    ("early February", JAN28, "2024-02-01", DAY, (date(2024, 2, 1), date(2024, 2, 10))),
    ("early February", FEB04, "2025-02-01", DAY, (date(2025, 2, 1), date(2025, 2, 10))),
    ("mid-March", MAR04, "2024-03-11", DAY, (date(2024, 3, 11), date(2024, 3, 20))),
    ("mid-March", date(2025, 3, 11), "2025-03-11", DAY, (date(2025, 3, 11), date(2025, 3, 20))),
    ("late January", JAN28, "2025-01-21", DAY, (date(2025, 1, 21), date(2025, 1, 31))),
    ("late January", FEB04, "2025-01-21", DAY, (date(2025, 1, 21), date(2025, 1, 31))),
    ("early February 2025", JAN28, "2025-02-01", DAY, (date(2025, 2, 1), date(2025, 2, 10))),
    ("mid-February 2025", JAN28, "2025-02-11", DAY, (date(2025, 2, 11), date(2025, 2, 20))),
    ("late February 2024", JAN28, "2024-02-21", DAY, (date(2024, 2, 21), date(2024, 2, 29))),
    ("late February 2025", JAN28, "2025-02-21", DAY, (date(2025, 2, 21), date(2025, 2, 28))),
    ("early last February", MAR04, "2025-02-01", DAY, (date(2025, 2, 1), date(2025, 2, 10))),
    ("late Q1 2025", None, "2025-01", MONTH, (date(2025, 1, 1), date(2025, 3, 31))),
    # seasons: northern meteorological, each the year it starts in (winter: Dec-Feb)
    ("summer 2025", None, "2025-06", MONTH, (date(2025, 6, 1), date(2025, 8, 31))),
    ("the summer of 2024", None, "2024-06", MONTH, (date(2024, 6, 1), date(2024, 8, 31))),
    ("spring 2025", None, "2025-03", MONTH, (date(2025, 3, 1), date(2025, 5, 31))),
    ("autumn 2025", None, "2025-09", MONTH, (date(2025, 9, 1), date(2025, 11, 30))),
    ("fall 2024", None, "2024-09", MONTH, (date(2024, 9, 1), date(2024, 11, 30))),
    ("winter 2024", None, "2024-12", MONTH, (date(2024, 12, 1), date(2025, 2, 28))),
    ("winter 2023", None, "2023-12", MONTH, (date(2023, 12, 1), date(2024, 2, 29))),
    ("winter 2024/25", None, "2024-12", MONTH, (date(2024, 12, 1), date(2025, 2, 28))),
    ("winter 2024-2025", None, "2024-12", MONTH, (date(2024, 12, 1), date(2025, 2, 28))),
    ("summer", JAN28, "2024-06", MONTH, (date(2024, 6, 1), date(2024, 8, 31))),
    ("winter", JAN28, "2024-12", MONTH, (date(2024, 12, 1), date(2025, 2, 28))),
    ("last winter", JAN28, "2023-12", MONTH, (date(2023, 12, 1), date(2024, 2, 29))),
    ("last winter", MAR04, "2024-12", MONTH, (date(2024, 12, 1), date(2025, 2, 28))),
    ("this winter", JAN28, "2024-12", MONTH, (date(2024, 12, 1), date(2025, 2, 28))),
    ("this summer", JAN28, "2025-06", MONTH, (date(2025, 6, 1), date(2025, 8, 31))),
    ("next summer", JAN28, "2025-06", MONTH, (date(2025, 6, 1), date(2025, 8, 31))),
    ("last summer", JAN28, "2024-06", MONTH, (date(2024, 6, 1), date(2024, 8, 31))),
    ("in early summer 2025", None, "2025-06", MONTH, (date(2025, 6, 1), date(2025, 8, 31))),
    # relative days
    ("yesterday", FEB04, "2025-02-03", DAY, None),
    ("today", FEB04, "2025-02-04", DAY, None),
    ("tomorrow", FEB04, "2025-02-05", DAY, None),
    ("3 days ago", FEB04, "2025-02-01", DAY, None),
    ("the day before yesterday", FEB04, "2025-02-02", DAY, None),
    ("2 hours ago", FEB04, "2025-02-04", DAY, None),
    ("this morning", FEB04, "2025-02-04", DAY, None),
    # weekdays: the latest on or before the reference date
    ("on Sunday", MAR04, "2025-03-02", DAY, None),
    ("Sunday", MAR04, "2025-03-02", DAY, None),
    ("on Sunday", MAR02, "2025-03-02", DAY, None),
    ("on Tuesday", MAR04, "2025-03-04", DAY, None),
    ("Wed", MAR04, "2025-02-26", DAY, None),
    ("last Friday", JAN28, "2025-01-24", DAY, None),
    # weeks: Monday to Sunday, day precision
    ("last week", JAN28, "2025-01-20", DAY, (date(2025, 1, 20), date(2025, 1, 26))),
    ("this week", JAN28, "2025-01-27", DAY, (date(2025, 1, 27), date(2025, 2, 2))),
    ("last week", MAR02, "2025-02-17", DAY, (date(2025, 2, 17), date(2025, 2, 23))),
    # "N units ago": the same day that far back (a missing day: the month's last)
    ("a week ago", JAN28, "2025-01-21", DAY, None),
    ("a week ago", FEB04, "2025-01-28", DAY, None),
    ("two weeks ago", JAN28, "2025-01-14", DAY, None),
    ("a month ago", JAN28, "2024-12-28", DAY, None),
    ("a month ago", date(2025, 3, 31), "2025-02-28", DAY, None),
    ("two months ago", JAN28, "2024-11-28", DAY, None),
    ("a year ago", JAN28, "2024-01-28", DAY, None),
    ("a year ago", date(2024, 2, 29), "2023-02-28", DAY, None),
    ("two years ago", JAN28, "2023-01-28", DAY, None),
    ("3 years ago", JAN28, "2022-01-28", DAY, None),
    ("a year or two ago", JAN28, "2023-01-28", DAY, (date(2023, 1, 28), date(2024, 1, 28))),
    ("two or three days ago", FEB04, "2025-02-01", DAY, (date(2025, 2, 1), date(2025, 2, 2))),
    # months and years, relative: the whole unit
    ("last month", JAN28, "2024-12", MONTH, None),
    ("last month", MAR04, "2025-02", MONTH, None),
    ("this month", JAN28, "2025-01", MONTH, None),
    ("last year", JAN28, "2024", YEAR, None),
    ("this year", FEB20, "2025", YEAR, None),
    ("this year", JAN08, "2026", YEAR, None),
    # the reference day itself
    ("now", FEB04, "2025-02-04", DAY, None),
    ("at present", FEB04, "2025-02-04", DAY, None),
    ("currently", FEB04, "2025-02-04", DAY, None),
    # quarters: the three months, month precision
    ("Q1 2025", None, "2025-01", MONTH, (date(2025, 1, 1), date(2025, 3, 31))),
    ("first quarter of 2025", None, "2025-01", MONTH, (date(2025, 1, 1), date(2025, 3, 31))),
    ("the last quarter of 2024", None, "2024-10", MONTH, (date(2024, 10, 1), date(2024, 12, 31))),
    # spelling: case, spaces, dashes, trailing punctuation
    ("  LAST   february. ", JAN28, "2024-02", MONTH, None),
    ("Mid\u2014February 2025", JAN28, "2025-02-11", DAY, (date(2025, 2, 11), date(2025, 2, 20))),
]


def _calendar_unit(edtf: str, precision: Precision) -> DateSpan:
    if precision is DAY:
        return day_span(date.fromisoformat(edtf))
    if precision is MONTH:
        year, month = edtf.split("-")
        return month_span(int(year), int(month))
    return year_span(int(edtf))


@pytest.mark.parametrize(("text", "relative_to", "edtf", "precision", "bounds"), ROWS)
def test_parse_date(
    text: str,
    relative_to: date | None,
    edtf: str,
    precision: Precision,
    bounds: tuple[date, date] | None,
) -> None:
    span = parse_date(text, relative_to)
    assert (span.edtf, span.precision) == (edtf, precision)
    unit = _calendar_unit(edtf, precision)
    assert (span.start, span.end) == (bounds or (unit.start, unit.end))
    assert span.text == text


def test_the_table_is_large_enough() -> None:
    assert len(ROWS) >= 50


INVALID = [
    ("", "no date"),
    ("   ", "no date"),
    ("not a date", "not understood"),
    ("2025-13-01", "month"),
    ("2025-02-30", "day"),
    ("0000", "year 0"),
    ("blorptember", "not understood"),
    ("x" * 500, "longer than 200"),
    ("recently", "too vague"),
    ("in recent weeks", "too vague"),
    ("02/03/2025", "ambiguous"),
    ("5", "ambiguous"),
    ("the 5th", "ambiguous"),
    ("3 February 2025 00:30 CET", "time zone"),
    ("9000 years ago", "out of the supported range"),
    ("summer 2024/25", "only a winter"),
    ("in the coming weeks", "too vague"),
    ("at the time", "fixed by an event"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_dates_raise_with_the_text_quoted(text: str, reason: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date(text, JAN28)
    assert repr(text) in str(caught.value)
    assert reason in str(caught.value)
    assert caught.value.text == text


def test_long_input_never_reaches_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> None:
        raise AssertionError("dateparser was called")

    monkeypatch.setattr(dates, "_from_dateparser", boom)
    with pytest.raises(InvalidDate, match="longer than 200"):
        parse_date("last February " * 20, JAN28)


def test_parse_edtf_is_only_the_fast_path() -> None:
    assert parse_edtf("last February") is None
    assert parse_edtf("2025-02") == month_span(2025, 2, "2025-02")
    with pytest.raises(InvalidDate):
        parse_edtf("2025-00")


def test_relative_to_defaults_to_today() -> None:
    assert parse_date("today") == day_span(dates.today(), "today")


def test_last_day_is_the_end_of_the_period() -> None:
    assert last_day("last February", JAN28) == date(2024, 2, 29)
    assert last_day("a year ago", JAN28) == date(2024, 1, 28)
    assert last_day("mid-2024", JAN28) == date(2024, 8, 31)
    assert last_day("early 2025", JAN28) == date(2025, 4, 30)
    assert last_day("late 2025", JAN28) == date(2025, 12, 31)
    assert last_day("winter 2024", JAN28) == date(2025, 2, 28)
    assert last_day("last week", JAN28) == date(2025, 1, 26)
    assert last_day("2025-02-03") == date(2025, 2, 3)


def test_edges_of_the_calendar_are_refused_not_crashed() -> None:
    with pytest.raises(InvalidDate):
        parse_date("yesterday", date(1, 1, 1))
    with pytest.raises(InvalidDate):
        parse_date("next week", date(9999, 12, 31))
    assert parse_date("December 31", date(9999, 12, 31)).edtf == "9999-12-31"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.dates())
def test_anything_is_a_span_or_invalid_date(text: str, relative_to: date) -> None:
    try:
        span = parse_date(text, relative_to)
    except InvalidDate as exc:
        assert repr(text) in str(exc)
    else:
        assert span.start <= span.end
        assert span.text == text


WORDS = ["last", "this", "next", "early", "mid-", "late", "the", "on", "in", "of", "ago", "a"]
WORDS += ["February", "Feb.", "Sunday", "week", "month", "year", "quarter", "days", "first"]
WORDS += ["2024", "3", "23", "29", "9999", "0", "-", "/", "election", "end", "Q1", "yesterday"]
WORDS += ["winter", "summer", "fall", "2024/25", "or", "two", "by", "before", "previously"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join), st.dates())
def test_date_like_phrases_are_a_span_or_invalid_date(text: str, relative_to: date) -> None:
    try:
        span = parse_date(text, relative_to)
    except InvalidDate:
        return
    assert span.start <= span.end
    assert span.precision in (DAY, MONTH, YEAR)


def test_relative_dates_follow_the_clock_in_a_long_running_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An event dated only by `occurred_text`, with no `relative_to`, is relative to today.
    # Preparing it caches the span; the cache must not keep the day it was first made.
    raw = {"type": "stance.declared", "occurred_text": "yesterday",
           "data": {"actor": "gbr", "topic": "troops-in-ukraine", "stance": "supports"},
           "source": {"document": "test", "quote": "a quote"}}
    clock = [date(2025, 3, 4)]
    monkeypatch.setattr(dates, "today", lambda: clock[0])
    first = prepare(EVENT_IN.validate_python(raw))
    assert first.occurred == "2025-03-03"
    clock[0] = date(2025, 3, 5)  # past midnight, same process
    again = prepare(EVENT_IN.validate_python(raw))
    assert again.occurred == "2025-03-04"
    assert parse_date("yesterday") == day_span(date(2025, 3, 4), "yesterday")


# --- open starts: "on or before", start unknown ----------------------------------------------

OPEN_ROWS = [
    ("../2025-02-20", None, date(2025, 2, 20), DAY, "../2025-02-20"),
    ("../2025-02", None, date(2025, 2, 28), MONTH, "../2025-02"),
    ("../2024-02", None, date(2024, 2, 29), MONTH, "../2024-02"),
    ("../2025", None, date(2025, 12, 31), YEAR, "../2025"),
    (" ../2025-02-20 ", None, date(2025, 2, 20), DAY, "../2025-02-20"),
    ("previously", FEB20, date(2025, 2, 20), DAY, "../2025-02-20"),
    ("earlier", FEB20, date(2025, 2, 20), DAY, "../2025-02-20"),
    ("had already", FEB20, date(2025, 2, 20), DAY, "../2025-02-20"),
    ("by March", FEB20, date(2025, 3, 31), MONTH, "../2025-03"),
    ("by March 2024", FEB20, date(2024, 3, 31), MONTH, "../2024-03"),
    ("by mid-2025", FEB20, date(2025, 8, 31), MONTH, "../2025-08"),
    ("before March 2025", FEB20, date(2025, 2, 28), DAY, "../2025-02-28"),
    ("before 3 February 2025", FEB20, date(2025, 2, 2), DAY, "../2025-02-02"),
]


@pytest.mark.parametrize(("text", "relative_to", "end", "precision", "edtf"), OPEN_ROWS)
def test_open_starts(text: str, relative_to: date | None, end: date, precision: Precision,
                     edtf: str) -> None:
    span = parse_open_date(text, relative_to)
    assert span == OpenSpan(end, precision, text)
    assert span.start is None
    assert span.edtf == edtf
    if text.strip().startswith(".."):
        assert parse_open_edtf(text) == span
        assert parse_open_edtf(span.edtf) == OpenSpan(end, precision, span.edtf)


@pytest.mark.parametrize("text", ["../2025-02-30", "../2025-13", "../0000", "../", "../soon",
                                  ".../2025", "..2025", "../2025-02-20/"])
def test_bad_open_starts_are_refused(text: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_open_edtf(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize("text", ["2025-02-20", "2025", "last February", "", "2025/.."])
def test_parse_open_edtf_answers_none_for_other_forms(text: str) -> None:
    assert parse_open_edtf(text) is None


@pytest.mark.parametrize("text", ["3 February 2025", "blorptember", "by then", "before the summit"])
def test_parse_open_date_refuses_what_is_no_open_start(text: str) -> None:
    with pytest.raises(InvalidDate):
        parse_open_date(text, FEB20)


def test_an_open_start_is_no_date_span() -> None:
    # parse_date always gives a start: "previously" has none, so it is refused there.
    with pytest.raises(InvalidDate, match="too vague"):
        parse_date("previously", FEB20)
    with pytest.raises(InvalidDate, match="open start"):
        parse_date("../2025-02-20", FEB20)


# --- every date expression of the five seeded articles, against each one's reference date ----

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
REFERENCE = {"000_c4f4064ccae375aa": date(2026, 1, 8), "001_037743cdbc969145": date(2025, 2, 20),
             "002_3cf8f900562f8d90": date(2025, 12, 16), "003_123fd1f332463126": date(2025, 3, 31),
             "004_c95673309f0d515a": date(2025, 1, 23)}
A0, A1, A2, A3, A4 = REFERENCE

# (article, the phrase as written, (start, end, precision) | an OpenSpan's end | a refusal)
ArticleRow = tuple[str, str, tuple[date, date, Precision] | date | str]
ARTICLE_ROWS: list[ArticleRow] = [
    (A0, "On January 6", (date(2026, 1, 6), date(2026, 1, 6), DAY)),
    (A0, "At present", (date(2026, 1, 8), date(2026, 1, 8), DAY)),
    (A0, "just a year or two ago", (date(2024, 1, 8), date(2025, 1, 8), DAY)),
    (A0, "several months before the signing of the Paris Declaration", "fixed by an event"),
    (A0, "after the cessation of active hostilities", "fixed by an event"),
    (A0, "At the time", "fixed by an event"),
    (A0, "every six months", "not understood"),  # a frequency, not a date
    (A1, "since the onset of Russia\u2019s full-scale invasion", "fixed by an event"),
    (A1, "already", date(2025, 2, 20)),
    (A1, "previously", date(2025, 2, 20)),
    (A1, "this year", (date(2025, 1, 1), date(2025, 12, 31), YEAR)),
    (A2, "currently", (date(2025, 12, 16), date(2025, 12, 16), DAY)),
    (A2, "in a recent address", "too vague"),
    (A2, "the coming weeks", "too vague"),
    (A3, "on Sunday", (date(2025, 3, 30), date(2025, 3, 30), DAY)),
    (A3, "in the coming weeks", "too vague"),
    (A3, "soon", "too vague"),
    (A3, "recently", "too vague"),
    (A4, "so far", "too vague"),
    (A4, "a year ago", (date(2024, 1, 23), date(2024, 1, 23), DAY)),
    (A4, "At the time", "fixed by an event"),
    (A4, "since then", "fixed by an event"),
    (A4, "as soon as possible", "too vague"),
    (A4, "on February 3", (date(2025, 2, 3), date(2025, 2, 3), DAY)),
    (A4, "the February 23 election", (date(2025, 2, 23), date(2025, 2, 23), DAY)),
    (A4, "after the February 23 election", "fixed by an event"),
    (A4, "last February", (date(2024, 2, 1), date(2024, 2, 29), MONTH)),
    (A4, "currently", (date(2025, 1, 23), date(2025, 1, 23), DAY)),
    (A4, "now", (date(2025, 1, 23), date(2025, 1, 23), DAY)),
    (A4, "in 1999", (date(1999, 1, 1), date(1999, 12, 31), YEAR)),
    (A4, "in 2022", (date(2022, 1, 1), date(2022, 12, 31), YEAR)),
    (A4, "2014", (date(2014, 1, 1), date(2014, 12, 31), YEAR)),
    (A4, "2015", (date(2015, 1, 1), date(2015, 12, 31), YEAR)),
    (A4, "in 2014 and 2015", "not understood"),  # two dates: the record has one event each
    (A4, "during a recent visit to Kyiv", "too vague"),
    (A4, "for a very long time", "too vague"),
]


def _article_text(stem: str) -> str:
    text = (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")
    return " ".join(text.split()).lower()


def test_article_reference_dates_are_the_seed_metadata() -> None:
    for stem, reference in REFERENCE.items():
        meta = json.loads((SEEDS / f"{stem}.meta.json").read_text(encoding="utf-8"))
        assert date.fromisoformat(meta["reference_date"]) == reference, stem


@pytest.mark.parametrize(("stem", "phrase", "expected"), ARTICLE_ROWS)
def test_article_date_expressions(stem: str, phrase: str,
                                  expected: tuple[date, date, Precision] | date | str) -> None:
    assert phrase.lower() in _article_text(stem), "the phrase is quoted from the article"
    reference = REFERENCE[stem]
    if isinstance(expected, tuple):
        span = parse_date(phrase, reference)
        assert (span.start, span.end, span.precision) == expected
    elif isinstance(expected, date):
        assert parse_open_date(phrase, reference) == OpenSpan(expected, DAY, phrase)
    else:
        with pytest.raises(InvalidDate, match=expected):
            parse_date(phrase, reference)


def test_every_curated_occurred_text_resolves_as_the_record_says_or_is_refused() -> None:
    # The record keeps `occurred` beside its text: where the parser resolves the text alone,
    # it must land inside what the curator recorded; where it refuses, the curator decided.
    events = SEEDS.parent / "events"
    for stem, reference in REFERENCE.items():
        for line in (events / f"{stem}.jsonl").read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            text = event.get("occurred_text")
            if not text:
                continue
            assert event["relative_to"] == reference.isoformat()
            recorded = parse_open_edtf(event["occurred"]) or parse_edtf(event["occurred"])
            assert recorded is not None
            try:
                span = parse_date(text, reference)
            except InvalidDate:
                continue
            if isinstance(recorded, OpenSpan):
                assert span.end <= recorded.end, text
            else:
                assert recorded.start <= span.start <= span.end <= recorded.end, (text, span)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join), st.dates())
def test_open_phrases_are_an_open_span_or_invalid_date(text: str, relative_to: date) -> None:
    try:
        span = parse_open_date(text, relative_to)
    except InvalidDate:
        return
    assert span.start is None
    assert parse_open_edtf(span.edtf) is not None
