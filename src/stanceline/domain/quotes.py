"""Checking a verbatim quote against its document's text (DESIGN §3, `source.quote`)."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

# Typography that differs between a copy and its source without changing the words.
_QUOTE_MARKS = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00a0": " ",
})
_SPACES = re.compile(r"\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")


def normalise(text: str) -> str:
    """The text with whitespace, quote marks, dashes and case made uniform."""
    flat = unicodedata.normalize("NFKC", text).translate(_QUOTE_MARKS)
    return _SPACES.sub(" ", flat).strip().casefold()


def quote_in(quote: str, text: str) -> bool:
    """Whether `quote` appears in `text`, after normalising both."""
    needle = normalise(quote)
    return bool(needle) and needle in normalise(text)


def normalised_in(quote: str, normalised_text: str) -> bool:
    """Whether `quote` appears in a text already normalised (one document, many quotes)."""
    needle = normalise(quote)
    return bool(needle) and needle in normalised_text


def closest_passage(quote: str, text: str) -> str:
    """The sentence of `text` most like `quote` (to show beside a refused quote)."""
    sentences = [s.strip() for s in _SENTENCE.split(_SPACES.sub(" ", text)) if s.strip()]
    if not sentences:
        return ""
    best = process.extractOne(normalise(quote), sentences, scorer=fuzz.WRatio,
                              processor=normalise)
    return sentences[0] if best is None else str(best[0])


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` with, for each of its characters, the index in `text` it came from
    (character by character: what a highlight needs to find the quote in the original)."""
    out: list[str] = []
    where: list[int] = []
    space = True
    for index, char in enumerate(text):
        for folded in unicodedata.normalize("NFKC", char).translate(_QUOTE_MARKS).casefold():
            blank = folded.isspace()
            if blank and space:
                continue
            space = blank
            out.append(" " if blank else folded)
            where.append(index)
    while out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where `quote` stands in `text` (start, end as indexes of `text`), matched as
    `quote_in` matches it; None if it is not there."""
    needle = normalise(quote)
    haystack, where = _normalised_with_map(text)
    found = haystack.find(needle) if needle else -1
    if found < 0:
        return None
    return where[found], where[found + len(needle) - 1] + 1


def passage(quote: str, text: str) -> tuple[str, str, str] | None:
    """The paragraph of `text` holding `quote`, split around it: (before, quote as the text
    has it, after). None if the quote is not in the text."""
    span = locate(quote, text)
    if span is None:
        return None
    start, end = span
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    last = len(text) if last < 0 else last
    return text[first:start], text[start:end], text[end:last]
