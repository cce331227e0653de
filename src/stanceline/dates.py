"""Fuzzy calendar dates: an expression and a reference date become a DateSpan.

Event dates are calendar dates with a precision (day, month or year), never times or
time zones. ISO/EDTF forms (`2025-02-03`, `2024-02`, `2025`) take a fast path that never
imports dateparser; natural language is resolved relative to a reference date (usually the
publication date of the article), first by a small table of news idioms, then by dateparser.

How expressions resolve against the reference date R (every span is inclusive):

| expression                                  | span                                   | precision |
|---------------------------------------------|----------------------------------------|-----------|
| `2025-02-03`, `2024-02`, `2025`             | that day / month / year                | as given  |
| `3 February 2025`, `February 2024`, `1999`  | that day / whole month / whole year    | as given  |
| `yesterday`, `today`, `now`, `currently`    | that day                               | day       |
| `3 days ago`, `a month ago`, `a year ago`   | the same day that far back (clamped)   | day       |
| `a year or two ago`                         | the days between the two               | day       |
| `on Sunday`, `Sunday`                       | the latest Sunday on or before R       | day       |
| `last/this/next Friday`                     | before / on or after / after R         | day       |
| `February 3`, `on January 6`, `Feb. 3`      | the one nearest to R (a tie: the past) | day       |
| `February`, `in March`                      | the one nearest to R (a tie: the past) | month     |
| `the February 23 election`                  | as `February 23` (a date as modifier)  | as inner  |
| `last February`                             | the last one strictly before R's month | month     |
| `this February`                             | February of R's year                   | month     |
| `next February`                             | the first one after R's month          | month     |
| `last/this month`                           | that whole month                       | month     |
| `last/this year`                            | that whole year                        | year      |
| `early/mid/late 2025`, `the end of 2025`    | Jan-Apr / May-Aug / Sep-Dec            | month     |
| `early/mid/late February 2025`              | days 1-10 / 11-20 / 21-end             | day       |
| `early February` (no year)                  | the latest such third begun by R       | day       |
| `early/mid/late X`, X not a month or year   | what X gives, not narrowed             | as X      |
| `summer 2025`, `winter 2024/25`             | that season's three months (below)     | month     |
| `summer` (no year)                          | the latest begun by R                  | month     |
| `last/next summer`                          | the latest ended before / next after R | month     |
| `this winter`                               | the one under way, else of R's year    | month     |
| `last/this/next week`                       | Monday to Sunday of that week          | day       |
| `Q1 2025`, `first quarter of 2025`          | the three months of that quarter       | month     |
| `recently`, `lately`, `soon`, `earlier`     | InvalidDate: too vague                 |           |
| `in the coming weeks`, `a recent visit`     | InvalidDate: too vague                 |           |
| `at the time`, `since then`, `after the X`  | InvalidDate: fixed by an event         |           |
| `02/03/2025`, `5`, `'99` (numeric, not ISO) | InvalidDate: ambiguous                 |           |
| `the 5th`, `1st` (a number, no month name)  | InvalidDate: ambiguous                 |           |

Weeks, quarters, seasons, thirds and "a year or two ago" are not one calendar day, month or
year: their start/end are the exact bounds and their precision is the unit they are made of
(a week of days, a season of months), so their `edtf` names only the first day or month.
Store start/end, not only edtf.

Seasons are the northern meteorological ones (spring March-May, summer June-August, autumn or
fall September-November, winter December-February), and a season belongs to the year it
starts in: "winter 2025" is December 2025 to February 2026, as "winter 2025/26" is written.
"N units ago" counts back from the day, not to the unit: "a year ago" on 2025-01-28 is
2024-01-28 (dateparser would say all of 2024, eleven months off at its end). The thirds of
"early/mid/late" are a convention, not the text: a reader may draw the line elsewhere, so
store start/end. An open start ("on or before": EDTF `../2025-02-20`, "previously", "by
March") is an `OpenSpan`, from `parse_open_edtf` or `parse_open_date`; a DateSpan always has
a start, so `parse_date` refuses "previously" as too vague. A time of day is
dropped ("yesterday at 5pm"); a time zone is refused, since dateparser moves the time to UTC
and with it, maybe, the day as written. Results and refusals are cached per (normalised
text, reference date).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from stanceline.errors import InvalidDate

if TYPE_CHECKING:
    from dateparser.date import DateDataParser


class Precision(StrEnum):
    """How precisely a date is known."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class DateSpan:
    """An inclusive range of calendar days, the precision it was given with, and the text."""

    start: date
    end: date
    precision: Precision
    text: str = ""

    @property
    def edtf(self) -> str:
        """The EDTF-style form: `2025-02-03`, `2024-02` or `2025`."""
        if self.precision is Precision.DAY:
            return self.start.isoformat()
        if self.precision is Precision.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return f"{self.start.year:04d}"


# ASCII digits only: `\d` would also take other scripts' digits, which int() accepts.
_EDTF = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")


def month_span(year: int, month: int, text: str = "") -> DateSpan:
    """The whole of one calendar month."""
    last = calendar.monthrange(year, month)[1]
    return DateSpan(date(year, month, 1), date(year, month, last), Precision.MONTH, text)


def year_span(year: int, text: str = "") -> DateSpan:
    """The whole of one calendar year."""
    return DateSpan(date(year, 1, 1), date(year, 12, 31), Precision.YEAR, text)


def day_span(day: date, text: str = "") -> DateSpan:
    """One calendar day."""
    return DateSpan(day, day, Precision.DAY, text)


def week_span(day: date, text: str = "") -> DateSpan:
    """Monday to Sunday of the week holding `day`, at day precision (see the module notes)."""
    monday = date.fromordinal(max(day.toordinal() - day.weekday(), 1))
    sunday = date.fromordinal(min(monday.toordinal() + 6, date.max.toordinal()))
    return DateSpan(monday, sunday, Precision.DAY, text)


def quarter_span(year: int, quarter: int, text: str = "") -> DateSpan:
    """The three months of a calendar quarter (1-4), at month precision."""
    first = month_span(year, 3 * quarter - 2)
    last = month_span(year, 3 * quarter)
    return DateSpan(first.start, last.end, Precision.MONTH, text)


def parse_edtf(text: str) -> DateSpan | None:
    """The ISO/EDTF fast path: a DateSpan for `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, else None."""
    span = _edtf(text)
    if isinstance(span, str):
        raise InvalidDate(text, span)
    return span


def _edtf(text: str) -> DateSpan | str | None:
    """parse_edtf, with the reason for an impossible date (`2025-02-30`) as a string."""
    match = _EDTF.match(text.strip())
    if match is None:
        return None
    year_s, month_s, day_s = match.groups()
    year = int(year_s)
    try:
        if day_s is not None:
            return day_span(date(year, int(month_s), int(day_s)), text)
        if month_s is not None:
            return month_span(year, int(month_s), text)
        if year < 1:
            return "year 0 does not exist"
        return year_span(year, text)
    except ValueError as exc:
        return str(exc)


@dataclass(frozen=True, slots=True)
class OpenSpan:
    """An open start: it happened on or before `end` ("previously", "by March"), start unknown.

    A type of its own rather than a DateSpan with `start=None`: every DateSpan has a start,
    which callers read without a check. `precision` is the end's (`../2025-02` ends on the
    last day of February 2025).
    """

    end: date
    precision: Precision
    text: str = ""

    @property
    def start(self) -> None:
        """Unknown, always."""
        return None

    @property
    def edtf(self) -> str:
        """The EDTF open-start form: `../2025-02-20`, `../2025-02` or `../2025`."""
        if self.precision is Precision.DAY:
            return f"../{self.end.isoformat()}"
        if self.precision is Precision.MONTH:
            return f"../{self.end.year:04d}-{self.end.month:02d}"
        return f"../{self.end.year:04d}"


def parse_open_edtf(text: str) -> OpenSpan | None:
    """EDTF open start `../YYYY-MM-DD`, `../YYYY-MM` or `../YYYY`; None for any other form.

    The end is the last day of the period named: `../2025-02` is "on or before February 2025".
    """
    stripped = text.strip()
    if not stripped.startswith(".."):
        return None
    rest = stripped[3:] if stripped.startswith("../") else None
    span = None if rest is None else _edtf(rest)
    if isinstance(span, str):
        raise InvalidDate(text, span)
    if span is None:
        raise InvalidDate(text, "an open start takes ../YYYY, ../YYYY-MM or ../YYYY-MM-DD")
    return OpenSpan(span.end, span.precision, text)


MAX_LENGTH = 200
"""Longer input is refused before any parsing: no date expression needs more."""

# The calendar the log keeps: every event date and every query date lies in it. Wide enough
# for the story's history and any plan, and far enough from date.min and date.max that span
# arithmetic (a window back, a season ahead) never overflows and SQLite's ISO text compares
# as the dates do (four-digit years only).
EARLIEST = date(1800, 1, 1)
LATEST = date(2200, 12, 31)


def out_of_range(first: date | None, last: date) -> str | None:
    """Why the span from `first` (None: an open start) to `last` leaves the supported range
    of dates, or None when it lies inside it."""
    if last > LATEST or (first if first is not None else last) < EARLIEST:
        return (f"outside the supported range of dates, {EARLIEST.isoformat()} to "
                f"{LATEST.isoformat()}")
    return None


def today() -> date:
    """Today's calendar date in UTC: the reference of relative dates when none is given.

    Read on every call and never cached: a process running past midnight must resolve
    "yesterday" against the new day (tests move the clock by replacing this function).
    """
    return datetime.now(UTC).date()


def parse_date(text: str, relative_to: date | None = None) -> DateSpan:
    """Resolve `text` (ISO/EDTF or natural language) against `relative_to` (default: today, UTC).

    Returns the inclusive span of calendar days the text names, with its precision and the
    text as given. Raises InvalidDate, quoting the text, for anything not understood, too
    vague ("recently") or ambiguous ("02/03/2025"). See the module docstring for the rules.
    """
    if len(text) > MAX_LENGTH:
        raise InvalidDate(text, f"longer than {MAX_LENGTH} characters")
    span = parse_edtf(text)
    if span is not None:
        return span
    if text.strip().startswith("../"):
        raise InvalidDate(text, "an open start (on or before a date) has no start: not a span")
    normalised = _normalise(text)
    if not normalised:
        raise InvalidDate(text, "there is no date in it")
    result = _resolve(normalised, today() if relative_to is None else relative_to)
    if isinstance(result, str):
        raise InvalidDate(text, result)
    return replace(result, text=text)


_ALREADY = re.compile(r"(?:previously|earlier|already|had already|formerly|before now|by now)")
_BY = re.compile(r"(?P<word>by|before) (?P<rest>.+)")


def parse_open_date(text: str, relative_to: date | None = None) -> OpenSpan:
    """An open start from EDTF (`../2025-02-20`) or words, against `relative_to` (default today).

    "previously", "earlier", "already", "formerly": on or before the reference day. "by X":
    on or before the last day of X ("by March" may mean its first day; the end claims no
    more than the text). "before X": on or before the day before X begins. Anything else is
    InvalidDate: a dated expression is a DateSpan, from `parse_date`.
    """
    if len(text) > MAX_LENGTH:
        raise InvalidDate(text, f"longer than {MAX_LENGTH} characters")
    span = parse_open_edtf(text)
    if span is not None:
        return span
    ref = today() if relative_to is None else relative_to
    normalised = _normalise(text)
    if _ALREADY.fullmatch(normalised):
        return OpenSpan(ref, Precision.DAY, text)
    match = _BY.fullmatch(normalised)
    if match is None:
        raise InvalidDate(text, "not an open start: use parse_date for a dated expression")
    inner = _resolve(match["rest"], ref)
    if isinstance(inner, str):
        raise InvalidDate(text, inner)
    if match["word"] == "by":
        return OpenSpan(inner.end, inner.precision, text)
    if inner.start == date.min:
        raise InvalidDate(text, "out of the supported range of dates")
    return OpenSpan(inner.start - timedelta(days=1), Precision.DAY, text)


def last_day(text: str, relative_to: date | None = None) -> date:
    """The last day of what `text` names: for as-of queries, a period means its last day."""
    return parse_date(text, relative_to).end


# --- normalisation -------------------------------------------------------------------------

_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d]")
_QUOTES = re.compile("[\u2018\u2019\u201b\u2032`]")
_SPACES = re.compile(r"\s+")


def _normalise(text: str) -> str:
    """Lower case, ASCII dashes and apostrophes, single spaces, no trailing punctuation.

    This is also the cache key, so "Last  February." and "last February" share an entry.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _QUOTES.sub("'", _DASHES.sub("-", text))
    return _SPACES.sub(" ", text).strip().rstrip(".,;:!?").strip()


# --- the idiom table, tried before dateparser ----------------------------------------------

# Spelled out rather than taken from `calendar`, whose names follow the process locale.
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august"]
_MONTH_NAMES += ["september", "october", "november", "december"]
_MONTHS = {name: n for n, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS |= {name[:3]: n for name, n in list(_MONTHS.items())} | {"sept": 9}
_DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAYS = {name: n for n, name in enumerate(_DAY_NAMES)}
_WEEKDAYS |= {name[:3]: n for name, n in list(_WEEKDAYS.items())}
_WEEKDAYS |= {"tues": 1, "thur": 3, "thurs": 3}


def _alternatives(names: dict[str, int]) -> str:
    # Longest first, so that "june" is not read as "jun" followed by junk.
    return "|".join(sorted(names, key=len, reverse=True))


_MONTH = rf"(?P<month>{_alternatives(_MONTHS)})\.?"
_HAS_MONTH = re.compile(rf"\b(?:{_alternatives(_MONTHS)})\b")
_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}
_QUARTERS |= {"fourth": 4, "4th": 4, "last": 4, "final": 4}

_VAGUE = re.compile(
    r"(?:recently|lately|soon|earlier|later|previously|formerly|before|afterwards?"
    r"|some ?time ago|a while (?:ago|back)|in (?:the )?(?:past|future)|as soon as possible"
    r"|(?:had )?already|so far|(?:for )?a (?:very )?long time"
    r"|(?:in )?recent (?:days|weeks|months|years)|one day|some ?day"
    r"|(?:in |over )?the (?:coming|next few|past few|last few) (?:days|weeks|months|years)"
    r"|(?:in |during |at )?an? recent [a-z -]+)"
)
# A time fixed by an event, not by the calendar: the curator resolves it from the context.
_EVENT_RELATIVE = re.compile(
    r"(?:at the time|since then|by then|(?:since|after|before|until|following|during)"
    r" (?:the|its|his|her|their) .+|(?:several|a few|some|[0-9]+) [a-z]+ (?:before|after) .+)"
)
# Numbers and separators only, and not ISO: "02/03/2025" is 2 March in Europe and
# February 3 in the US, and dateparser reads a lone "5" as May; refuse rather than guess.
_NUMERIC = re.compile(r"[0-9 /.,'-]+")

_NOW = re.compile(r"(?:at present|presently|currently|right now|at the moment|nowadays)")
_RELATIVE_MONTH = re.compile(rf"(?:in )?(?P<which>last|this|next) {_MONTH}")
_WEEKDAY = re.compile(rf"(?:on )?(?P<weekday>{_alternatives(_WEEKDAYS)})\.?")
_QUARTER = re.compile(
    rf"(?:in )?(?:the )?(?P<quarter>{_alternatives(_QUARTERS)})"
    r" quarter(?: of)? (?P<year>[0-9]{4})"
)
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_COUNTS |= {"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_COUNT = rf"(?:[0-9]{{1,4}}|{_alternatives(_COUNTS)})"
# "a year ago" is the same day a year back (not the whole of last year): "ago" counts back
# from the day, whatever the unit; "a year or two ago" is the days between the two.
_AGO = re.compile(
    rf"(?:just |only |about |some )?(?P<n>{_COUNT})(?: or (?P<m>{_COUNT}))?"
    rf" (?P<unit>day|week|month|year)s?(?: or (?P<m2>{_COUNT}))? ago"
)
# Northern meteorological seasons, by their first month. A season belongs to the year it
# starts in, so the four of one year follow each other: "winter 2025" is December 2025 to
# February 2026, the reading of "winter 2025/26" (as the UK Met Office names it).
_SEASON_FIRST = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_SEASON = re.compile(
    r"(?:in |during )?(?:the )?(?:(?P<which>last|this|next) )?"
    rf"(?P<season>{_alternatives(_SEASON_FIRST)})"
    r"(?: of)?(?: (?P<year>[0-9]{4})(?:[/-](?P<year2>[0-9]{2}|[0-9]{4}))?)?"
)
# Early, mid, late: the first, middle and last third of a month (days 1-10, 11-20, 21-end)
# or of a year (January-April, May-August, September-December). "start of", "middle of"
# and "end of" read the same. What is not one calendar month or year is not narrowed.
_PARTS = {"early": 0, "start of": 0, "beginning of": 0, "mid": 1, "middle of": 1}
_PARTS |= {"late": 2, "end of": 2}
_QUALIFIED = re.compile(
    r"(?:in |at )?(?:the )?(?:very )?"
    rf"(?P<part>{_alternatives(_PARTS)})[ -](?:the )?(?P<rest>.+)"
)
_BARE_MONTH = re.compile(_MONTH)
# "the February 23 election": a date used as the modifier of a noun.
_NOUN_PHRASE = re.compile(r"the (?P<words>.+)")


def _now(match: re.Match[str], ref: date) -> DateSpan | str:
    return day_span(ref)


def _relative_month(match: re.Match[str], ref: date) -> DateSpan | str:
    month = _MONTHS[match["month"]]
    which = match["which"]
    year = ref.year
    if which == "last" and month >= ref.month:
        year -= 1
    elif which == "next" and month <= ref.month:
        year += 1
    return _month_or_error(year, month)


def _weekday(match: re.Match[str], ref: date) -> DateSpan | str:
    # dateparser takes "on Sunday" said on a Sunday as the week before; the day itself
    # is the better reading of a report written that day.
    back = (ref.weekday() - _WEEKDAYS[match["weekday"]]) % 7
    if ref.toordinal() - back < 1:
        return "out of the supported range of dates"
    return day_span(ref - timedelta(days=back))


def _quarter(match: re.Match[str], ref: date) -> DateSpan | str:
    year = int(match["year"])
    if year < 1:
        return "year 0 does not exist"
    return quarter_span(year, _QUARTERS[match["quarter"]])


def _count(word: str) -> int:
    return _COUNTS[word] if word in _COUNTS else int(word)


def _back(ref: date, n: int, unit: str) -> date | None:
    """`ref` moved back n units; a day the month reached lacks is its last (Mar 31 -> Feb 28)."""
    try:
        if unit in ("day", "week"):
            return ref - timedelta(days=n * (7 if unit == "week" else 1))
        months = ref.year * 12 + ref.month - 1 - (n * 12 if unit == "year" else n)
        year, month = divmod(months, 12)
        return date(year, month + 1, min(ref.day, calendar.monthrange(year, month + 1)[1]))
    except (ValueError, OverflowError):
        return None


def _ago(match: re.Match[str], ref: date) -> DateSpan | str:
    n = _count(match["n"])
    other = match["m"] or match["m2"]
    m = n if other is None else _count(other)
    latest, earliest = _back(ref, min(n, m), match["unit"]), _back(ref, max(n, m), match["unit"])
    if latest is None or earliest is None:
        return "out of the supported range of dates"
    return DateSpan(earliest, latest, Precision.DAY)


def season_span(year: int, season: str, text: str = "") -> DateSpan:
    """The three months of a season (see `_SEASON_FIRST`), at month precision."""
    first = _SEASON_FIRST[season]
    months = year * 12 + first - 1
    last_year, last_month = divmod(months + 2, 12)
    end = month_span(last_year, last_month + 1).end
    return DateSpan(date(year, first, 1), end, Precision.MONTH, text)


def _season(match: re.Match[str], ref: date) -> DateSpan | str:
    season, which = match["season"], match["which"]
    if match["year"] is not None:
        if which is not None:
            return "not understood"
        year = int(match["year"])
        if match["year2"] is not None:
            second = int(match["year2"])
            if season != "winter" or second not in (year + 1, (year + 1) % 100):
                return "only a winter spans two years, and they follow each other"
        if not 1 <= year <= 9998:
            return "out of the supported range of dates"
        return season_span(year, season)
    candidates = []
    for year in range(ref.year - 2, ref.year + 2):
        try:
            candidates.append(season_span(year, season))
        except ValueError:  # near year 1 or 9999
            continue
    if which == "last":  # the latest one over before the reference date
        found = [c for c in candidates if c.end < ref][-1:]
    elif which == "next":  # the first one to start after it
        found = [c for c in candidates if c.start > ref][:1]
    elif which == "this":  # the one under way, else the one of the reference year
        found = [c for c in candidates if c.start <= ref <= c.end]
        found = found or [c for c in candidates if c.start.year == ref.year]
    else:  # bare: the latest begun
        found = [c for c in candidates if c.start <= ref][-1:]
    return found[0] if found else "out of the supported range of dates"


def _part(span: DateSpan, part: int) -> DateSpan | None:
    """The early, mid or late third of a single calendar month or year, else None."""
    start, end = span.start, span.end
    if span.precision is Precision.YEAR and start.year == end.year:
        first = month_span(start.year, 4 * part + 1).start
        return DateSpan(first, month_span(start.year, 4 * part + 4).end, Precision.MONTH)
    if span.precision is Precision.MONTH and (start.year, start.month) == (end.year, end.month):
        last = end.day if part == 2 else 10 * part + 10
        return DateSpan(start.replace(day=10 * part + 1), end.replace(day=last), Precision.DAY)
    return None


def _qualified(match: re.Match[str], ref: date) -> DateSpan | str:
    part, rest = _PARTS[match["part"]], match["rest"]
    month = _BARE_MONTH.fullmatch(rest)
    if month is not None:
        # No year: the most recent such third not after the reference date (begun by then).
        for year in (ref.year, ref.year - 1):
            if year >= 1:
                third = _part(month_span(year, _MONTHS[month["month"]]), part)
                if third is not None and third.start <= ref:
                    return third
        return "out of the supported range of dates"
    inner = _resolve(rest, ref)
    if isinstance(inner, str):
        return inner
    return _part(inner, part) or inner


_Rule = Callable[[re.Match[str], date], "DateSpan | str"]
_RULES: tuple[tuple[re.Pattern[str], _Rule], ...] = (
    (_NOW, _now),
    (_RELATIVE_MONTH, _relative_month),
    (_WEEKDAY, _weekday),
    (_QUARTER, _quarter),
    (_AGO, _ago),
    (_SEASON, _season),
    (_QUALIFIED, _qualified),
)


@lru_cache(maxsize=4096)
def _resolve(normalised: str, ref: date) -> DateSpan | str:
    """The span of a normalised expression, or why there is none.

    Failures are cached too: a failed dateparser call is the slow case (about 10 ms).
    """
    if _NUMERIC.fullmatch(normalised):
        span = _edtf(normalised)
        if span is not None:
            return span
        return "numeric dates other than YYYY, YYYY-MM and YYYY-MM-DD are ambiguous"
    if _VAGUE.fullmatch(normalised):
        return "too vague"
    if _EVENT_RELATIVE.fullmatch(normalised):
        return "fixed by an event, not a span of the calendar: give the date it means"
    for pattern, rule in _RULES:
        match = pattern.fullmatch(normalised)
        if match is not None:
            return rule(match, ref)
    result = _from_dateparser(normalised, ref)
    if result is not None:
        return result
    noun_phrase = _NOUN_PHRASE.fullmatch(normalised)
    if noun_phrase is not None:
        words = noun_phrase["words"].split(" ")
        for dropped in (1, 2):
            if len(words) > dropped:
                inner = _resolve(" ".join(words[:-dropped]), ref)
                if isinstance(inner, DateSpan):
                    return inner
    return "not understood"


# --- dateparser ----------------------------------------------------------------------------

_DATEPARSER_SETTINGS: dict[str, Any] = {
    "PREFER_DATES_FROM": "past",
    # An explicit zone: with "local" dateparser warns where the zone cannot be found, and
    # the reference is a calendar date anyway.
    "TIMEZONE": "UTC",
    # RETURN_AS_TIMEZONE_AWARE is left at its default: the result is aware only when the
    # text names a zone, which _from_dateparser then refuses.
    # Periods "time" and "part_of_day" rather than "day" for "2 hours ago", "this morning".
    "RETURN_TIME_AS_PERIOD": True,
    # No epoch timestamps: numbers never reach dateparser, and "1738540800" is no date.
    "PARSERS": ["relative-time", "absolute-time"],
}


@lru_cache(maxsize=64)
def _parser(ref: date) -> DateDataParser:
    """The parser for one reference date, reused for every expression relative to it.

    A DateDataParser reads RELATIVE_BASE from the settings it was built with and takes no
    per-call settings (dateparser's own search_dates swaps its private `_settings`, which
    is not thread-safe). Building one costs about 7 us against 300 us or more per parse, the
    locale data are shared by all of them, and parsing is thread-safe in dateparser 1.4.3
    and later. Noon, so that "2 hours ago" stays on the reference day.
    """
    # Imported here so that importing this module, and the ISO path, stay cheap.
    from dateparser.date import DateDataParser

    settings = _DATEPARSER_SETTINGS | {"RELATIVE_BASE": datetime.combine(ref, time(12))}
    return DateDataParser(languages=["en"], settings=settings)


def _from_dateparser(normalised: str, ref: date) -> DateSpan | str | None:
    """dateparser's reading as a span, a reason to refuse it, or None if it has none."""
    parser = _parser(ref)
    try:
        data: Any = parser.get_date_data(normalised)
    # dateparser already answers None for what it cannot compute ("9000 years ago"); date
    # arithmetic near year 1 or 9999 failing anyway still means "not understood", not a 500.
    except (ValueError, OverflowError):
        return None
    found: datetime | None = data.date_obj
    if found is None:
        return None
    if found.tzinfo is not None:
        # dateparser has moved it to UTC, which can change the day ("00:30 CET" is the day
        # before in UTC) and the day as written is lost: refuse rather than shift it.
        return "a time zone moves the date; give the calendar date alone"
    day = found.date()
    period: str = data.period
    parts: tuple[str, ...] = tuple(data.parts)
    if "year" not in parts:
        if not _HAS_MONTH.search(normalised):
            # dateparser reads "the 5th" or "1st" as a month number.
            return "a number without a month name is ambiguous"
        if period == "month":
            return _nearest_month(day.month, ref)
        return _nearest_day(day.month, day.day, ref)
    if period in ("day", "time", "part_of_day"):
        return day_span(day)
    if period == "week":
        return week_span(day)
    if period == "month":
        return month_span(day.year, day.month)
    if period == "quarter":
        return quarter_span(day.year, (day.month + 2) // 3)
    if period == "year":
        return year_span(day.year)
    return None


def _nearest_day(month: int, day: int, ref: date) -> DateSpan | str:
    # A year-less "February 3" in a report of late January is the coming one, and
    # "January 6" written on January 8 the one just gone: take the nearest (ties: past).
    candidates = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return "no such day near the reference date"
    nearest = min(candidates, key=lambda d: (abs(d.toordinal() - ref.toordinal()), d))
    return day_span(nearest)


def _nearest_month(month: int, ref: date) -> DateSpan | str:
    here = ref.year * 12 + ref.month - 1
    year = min(
        (ref.year - 1, ref.year, ref.year + 1),
        key=lambda y: (abs(y * 12 + month - 1 - here), y),
    )
    return _month_or_error(year, month)


def _month_or_error(year: int, month: int) -> DateSpan | str:
    if not 1 <= year <= 9999:
        return "out of the supported range of dates"
    return month_span(year, month)
