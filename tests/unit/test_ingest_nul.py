"""A load skips the NUL walk only when its bytes cannot hold a NUL: one in a file is refused
as one sent over HTTP is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stanceline.errors import InvalidInput
from stanceline.ingest import prepare_lines

STANCE = {"type": "stance.declared", "occurred": "2024-03-01",
          "data": {"actor": "fra", "topic": "t", "stance": "supports", "summary": "ok"},
          "source": {"url": "https://example.org", "quote": "a quote"}}


def lines(*events: dict[str, object]) -> list[tuple[int, bytes]]:
    return [(n, json.dumps(e).encode() + b"\n") for n, e in enumerate(events, start=1)]


def test_a_nul_in_a_loaded_line_is_refused(tmp_path: Path) -> None:
    bad = {**STANCE, "data": {**STANCE["data"], "summary": "be\x00fore"}}  # type: ignore[dict-item]
    assert b"\\u0000" in lines(bad)[0][1]
    with pytest.raises(InvalidInput, match="NUL character") as refused:
        prepare_lines(tmp_path / "f.jsonl", lines(STANCE, bad), {})
    assert "data.summary" in str(refused.value)


def test_the_text_of_an_escape_is_no_nul(tmp_path: Path) -> None:
    # `\\u0000` in JSON is a backslash then "u0000": the bytes hold the pattern, the text no NUL.
    literal = {**STANCE, "data": {**STANCE["data"], "summary": "\\u0000"}}  # type: ignore[dict-item]
    [event] = prepare_lines(tmp_path / "f.jsonl", lines(literal), {})
    assert event.data["summary"] == "\\u0000"
    [plain] = prepare_lines(tmp_path / "f.jsonl", lines(STANCE), {})
    assert plain.data["summary"] == "ok"
