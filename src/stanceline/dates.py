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
| `yesterday`, `today`, `3 days ago`, `now`   | that day                               | day       |
| `on Sunday`, `Sunday`                       | the latest Sunday on or before R       | day       |
| `last/this/next Friday`                     | before / on or after / after R         | day       |
| `February 3`, `on January 6`, `Feb. 3`      | the one nearest to R (a tie: the past) | day       |
| `February`, `in March`                      | the one nearest to R (a tie: the past) | month     |
| `the February 23 election`                  | as `February 23` (a date as modifier)  | as inner  |
| `last February`                             | the last one strictly before R's month | month     |
| `this February`                             | February of R's year                   | month     |
| `next February`                             | the first one after R's month          | month     |
| `last/this month`, `two months ago`         | that whole month                       | month     |
| `last/this year`, `a year ago`              | that whole year                        | year      |
| `early/mid/late X`, `the end of X`          | what X gives, not narrowed             | as X      |
| `last/this/next week`, `a week ago`         | Monday to Sunday of that week          | day       |
| `Q1 2025`, `first quarter of 2025`          | the three months of that quarter       | month     |
| `recently`, `lately`, `soon`, `earlier`     | InvalidDate: too vague                 |           |
| `02/03/2025`, `5`, `'99` (numeric, not ISO) | InvalidDate: ambiguous                 |           |
| `the 5th`, `1st` (a number, no month name)  | InvalidDate: ambiguous                 |           |

Weeks and quarters are not one calendar day, month or year: their start/end are the exact
bounds and their precision is the unit they are made of (a week of days, a quarter of
months), so their `edtf` names only the first day or month. Store start/end, not only edtf.

"N units ago" is the whole unit holding R minus N units, as dateparser's period says: "a year
ago" on 2025-01-28 is all of 2024, so `last_day` gives 2024-12-31 for it. A time of day is
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


MAX_LENGTH = 200
"""Longer input is refused before any parsing: no date expression needs more."""


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
    normalised = _normalise(text)
    if not normalised:
        raise InvalidDate(text, "there is no date in it")
    result = _resolve(normalised, today() if relative_to is None else relative_to)
    if isinstance(result, str):
        raise InvalidDate(text, result)
    return replace(result, text=text)


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
    r"|some ?time ago|a while (?:ago|back)|in (?:the )?(?:past|future)"
    r"|(?:in )?recent (?:days|weeks|months|years)|one day|some ?day)"
)
# Numbers and separators only, and not ISO: "02/03/2025" is 2 March in Europe and
# February 3 in the US, and dateparser reads a lone "5" as May; refuse rather than guess.
_NUMERIC = re.compile(r"[0-9 /.,'-]+")

_RELATIVE_MONTH = re.compile(rf"(?:in )?(?P<which>last|this|next) {_MONTH}")
_WEEKDAY = re.compile(rf"(?:on )?(?P<weekday>{_alternatives(_WEEKDAYS)})\.?")
_QUARTER = re.compile(
    rf"(?:in )?(?:the )?(?P<quarter>{_alternatives(_QUARTERS)})"
    r" quarter(?: of)? (?P<year>[0-9]{4})"
)
# The qualifier is dropped: "early February" is the whole of February, since where early
# ends is a guess, and a narrower span would claim more than the text says.
_QUALIFIED = re.compile(
    r"(?:in |at )?(?:the )?(?:very )?"
    r"(?:early|mid|late|start of|beginning of|middle of|end of)[ -](?:the )?(?P<rest>.+)"
)
# "the February 23 election": a date used as the modifier of a noun.
_NOUN_PHRASE = re.compile(r"the (?P<words>.+)")


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


def _qualified(match: re.Match[str], ref: date) -> DateSpan | str:
    return _resolve(match["rest"], ref)


_Rule = Callable[[re.Match[str], date], "DateSpan | str"]
_RULES: tuple[tuple[re.Pattern[str], _Rule], ...] = (
    (_RELATIVE_MONTH, _relative_month),
    (_WEEKDAY, _weekday),
    (_QUARTER, _quarter),
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
