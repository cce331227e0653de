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
