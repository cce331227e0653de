"""The JSON text the log stores and hashes, written and read with orjson.

The bytes must stay those of `json.dumps(value, separators=(",", ":"), ensure_ascii=False)`
(with `sort_keys` for the canonical form): every stored digest was computed over them. orjson
writes the same text for strings, integers, booleans, null, lists and dicts, but not for
every float (`1e-05` is `0.00001` there), and refuses what `json` accepts (integers past 64
bits, lone surrogates, non-string keys, NaN): those values go through `json` itself, and so
does reading them back.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Compact, unescaped UTF-8 JSON text, byte for byte what the `json` module writes."""
    if not _holds_float(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0).decode()
        except orjson.JSONEncodeError:
            pass
    return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """Parsed JSON text, as `json.loads` parses it: orjson refuses NaN and reads an integer
    past 64 bits as a float, so text holding either (or any float) goes to `json`."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return json.loads(text) if _holds_float(value) else value


def _holds_float(value: Any) -> bool:
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list | tuple):
        return isinstance(value, float)
    for item in value:  # a plain loop: this runs for every event a load prepares
        if isinstance(item, float) or (isinstance(item, dict | list | tuple)
                                       and _holds_float(item)):
            return True
    return False
