"""The JSON text the log hashes is byte for byte the `json` module's, written by orjson or not:
the digests of every event already recorded depend on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stanceline.domain import jsontext
from stanceline.domain.digest import canonical, content_digest
from stanceline.domain.events import EVENT_IN, compact_json, prepare
from stanceline.ingest import document_events

ROOT = Path(__file__).resolve().parents[2]
SEED_LINES = [json.loads(line) for path in sorted((ROOT / "events").glob("*.jsonl"))
              for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def old_compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def old_canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


TRICKY: list[Any] = [
    # Floats orjson writes otherwise (1e-05 as 0.00001), and the ones it writes alike.
    1e-05, 0.00001234, 1e16, 1e22, 1e-7, 123456789.125, 0.1, -0.0, 5e-324,
    1.7976931348623157e308, 100.0, float("nan"), float("inf"), -float("inf"),
    {"value": 2.5e-06, "nested": [1, {"x": 1e-10}]}, [0.1, 1e-5],
    # Integers orjson refuses (past 64 bits) and the edges it takes.
    2**63 - 1, 2**63, 2**64, -(2**63), -(2**63) - 1, 10**30,
    # Unicode: accents, CJK, the BMP's end, non-BMP (emoji, a CJK extension), separators.
    "é à ü", "中文", "\uffff", "\U0001F600 \U00020000", "a\u2028b\u2029c", "\u200b\ufeff",
    # Escapes: quotes, backslashes, slashes, every control character, DEL.
    '"quoted" \\ back / slash', "".join(chr(c) for c in range(32)), "\x7f",
    # A lone surrogate, which orjson refuses and json writes as is.
    "\ud800",
    # Keys json sorts by code point: orjson must agree, non-BMP against the BMP's end.
    {"b": 1, "a": 2, "é": 3, "\U0001F600": 4, "\uffff": 5, "Z": 6, "": 7},
    {"actor": "a1", "figures": {"low": 1, "high": 2}, "members": ["x", "y"], "ok": True,
     "none": None},
    # Non-string keys, which json turns into strings.
    {1: "one", 2: "two"},
    [], {}, "", None, True, False, 0,
]


@pytest.mark.parametrize("value", TRICKY, ids=[repr(v)[:30] for v in TRICKY])
def test_the_same_text_as_the_json_module(value: Any) -> None:
    assert jsontext.dumps(value) == old_compact(value)
    assert jsontext.dumps(value, sort_keys=True) == old_canonical(value)
    assert compact_json({"v": value}) == old_compact({"v": value})
    assert canonical([value]) == old_canonical([value])


def test_the_seed_events_keep_their_text_and_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(SEED_LINES) > 50
    events = [EVENT_IN.validate_python(e) for e in SEED_LINES]
    events += document_events(ROOT / "seeds")
    prepared = [prepare(event) for event in events]
    for event in prepared:
        assert event.data_json == old_compact(event.data)
        assert event.source_json == (None if event.source is None
                                     else old_compact(event.source))
        assert canonical(event.data) == old_canonical(event.data)
    # The digests as the json module alone computed them.
    monkeypatch.setattr(jsontext, "dumps", lambda value, sort_keys=False: json.dumps(
        value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False))
    assert [content_digest(e) for e in prepared] == [e.digest for e in prepared]


@pytest.mark.parametrize("text", ['{"a":1e-05,"b":[1,2]}', '{"n":NaN}', f'{{"big":{2**70}}}',
                                  '{"s":"\\ud83d\\ude00 \\u00e9"}', '{"s":"\\ud800"}'])
def test_read_back_as_the_json_module_reads(text: str) -> None:
    assert repr(jsontext.loads(text)) == repr(json.loads(text))
