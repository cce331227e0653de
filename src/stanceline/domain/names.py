"""Name folding: aliases resolve case- and accent-insensitively."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"[\s\u2019'`.]+")


def fold(name: str) -> str:
    """Lowercase, strip accents and collapse punctuation/space: "Zelenskiy " -> "zelenskiy"."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", bare.casefold()).strip()
