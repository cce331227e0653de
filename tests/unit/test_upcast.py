"""Old schema versions are upcast when read; the stored row (and its hash) never changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stanceline.domain import upcast
from stanceline.store.sql import SqlEventStore
from tests.conftest import registry, stance


@pytest.fixture
def summary_renamed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        moved = dict(data)
        moved["gist"] = moved.pop("summary")
        return moved

    monkeypatch.setitem(upcast.UPCASTERS, ("stance.declared", 2), v1_to_v2)
    yield


def test_reads_are_upcast_and_the_chain_still_verifies(tmp_path: Path,
                                                       summary_renamed: None) -> None:
    store = SqlEventStore(f"sqlite:///{tmp_path / 'u.db'}")
    try:
        sent = stance("fra", "t", "supports", "2024", data_extra={"summary": "floated"})
        store.append(registry(["fra"], ["t"]))
        store.append([sent])
        read = store.get(sent.id)
        assert read is not None and read.schema_version == 3
        assert read.data["gist"] == "floated" and "summary" not in read.data
        raw = next(store.iter_all(after=2))
        assert raw.schema_version == 2 and raw.data["summary"] == "floated"
        assert store.verify().ok
    finally:
        store.close()


def test_upcasters_chain_until_no_newer_version() -> None:
    steps = {("x", 1): lambda d: {**d, "b": 1}, ("x", 2): lambda d: {**d, "c": 2}}
    saved = dict(upcast.UPCASTERS)
    try:
        upcast.UPCASTERS.update(steps)
        assert upcast.upcast("x", 1, {"a": 0}) == (3, {"a": 0, "b": 1, "c": 2})
        assert upcast.upcast("x", 3, {"a": 0}) == (3, {"a": 0})
    finally:
        upcast.UPCASTERS.clear()
        upcast.UPCASTERS.update(saved)


def test_version_one_conditions_are_upcast_to_things_without_a_guessed_topic() -> None:
    old = {"actor": "gbr", "topic": "t", "stance": "conditional",
           "conditions": ["a US backstop"], "speaker": None, "summary": ""}
    version, data = upcast.upcast("stance.declared", 1, old)
    assert version == 2
    assert data["conditions"] == [{"on": None, "text": "a US backstop"}]
    assert data["dropped"] == []
    assert old["conditions"] == ["a US backstop"], "the stored data is not changed"


def test_a_stored_version_one_stance_reads_as_version_two(tmp_path: Path) -> None:
    from dataclasses import replace

    from stanceline.domain.events import compact_json

    store = SqlEventStore(f"sqlite:///{tmp_path / 'v1.db'}")
    try:
        sent = stance("gbr", "t", "conditional", "2025")
        v1 = {k: v for k, v in sent.data.items() if k != "dropped"}
        v1["conditions"] = ["a US backstop"]
        old = replace(sent, schema_version=1, data=v1, data_json=compact_json(v1), digest="")
        store.append(registry(["gbr"], ["t"]))
        store.append([old])
        read = store.get(old.id)
        assert read is not None and read.schema_version == 2
        assert read.data["conditions"] == [{"on": None, "text": "a US backstop"}]
        [change] = store.history("gbr", "t")
        assert [c.text for c in change.conditions] == ["a US backstop"]
        raw = next(store.iter_all(after=2))
        assert raw.schema_version == 1 and raw.data_json == compact_json(v1)
        assert store.verify().ok
    finally:
        store.close()
