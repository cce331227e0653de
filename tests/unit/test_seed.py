"""The seeded record: the articles as given, their metadata, and every curated event."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stanceline.dates import parse_edtf
from stanceline.domain.events import EVENT_IN, prepare
from stanceline.domain.names import fold

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
EVENTS = ROOT / "events"
SHARED = ROOT.parent / "shared" / "seeds"
ARTICLES = sorted(p.stem for p in SEEDS.glob("*.txt"))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


ARTICLE_EVENTS = [(stem, n, e) for stem in ARTICLES
                  for n, e in enumerate(lines(EVENTS / f"{stem}.jsonl"), start=1)]
ALL_EVENTS = [e for p in sorted(EVENTS.glob("*.jsonl")) for e in lines(p)]
ACTORS = {e["data"]["actor"]: e["data"] for e in lines(EVENTS / "actors.jsonl")}
TOPICS = {e["data"]["topic"] for e in lines(EVENTS / "topics.jsonl")}


def test_five_articles_with_one_event_file_each() -> None:
    assert len(ARTICLES) == 5
    assert {p.stem for p in EVENTS.glob("*.jsonl")} == {*ARTICLES, "actors", "topics"}


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/seeds is not beside the checkout")
@pytest.mark.parametrize("stem", ARTICLES)
def test_articles_are_copied_as_given(stem: str) -> None:
    assert (SEEDS / f"{stem}.txt").read_bytes() == (SHARED / f"{stem}.txt").read_bytes()


@pytest.mark.parametrize("stem", ARTICLES)
def test_each_article_has_its_metadata(stem: str) -> None:
    meta = json.loads((SEEDS / f"{stem}.meta.json").read_text(encoding="utf-8"))
    assert meta["document"] == stem and meta["title"]
    assert "outlet" in meta
    span = parse_edtf(meta["published"])
    assert span is not None and span.precision.value == meta["precision"]
    assert len(meta["inferred"]) > 40 and meta["inferred"].count(".") <= 3
    reference = parse_edtf(meta["reference_date"])
    assert reference is not None and span.start <= reference.start <= span.end


@pytest.mark.parametrize(("stem", "number", "event"), ARTICLE_EVENTS,
                         ids=[f"{s}:{n}" for s, n, _ in ARTICLE_EVENTS])
def test_every_event_cites_its_article_verbatim(stem: str, number: int,
                                                event: dict[str, Any]) -> None:
    text = (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")
    meta = json.loads((SEEDS / f"{stem}.meta.json").read_text(encoding="utf-8"))
    source = event["source"]
    assert source["document"] == stem
    assert source["quote"] in text, "the quote is not verbatim in the article"
    assert source["published"] == meta["published"]
    assert event["occurred"] is not None and parse_edtf(event["occurred"]) is not None
    assert event["relative_to"] == meta["reference_date"]
    if event["occurred_text"]:
        assert event["occurred_text"] in text, "occurred_text is not as written"
    if event["disputed"]:
        assert event["note"], "a disputed event says why"
    prepare(EVENT_IN.validate_python(event))


def test_ids_are_unique_and_stable() -> None:
    ids = [e["id"] for e in ALL_EVENTS]
    assert len(ids) == len(set(ids))


def test_every_named_actor_and_topic_is_registered() -> None:
    for event in ALL_EVENTS:
        data = event["data"]
        named = [data.get("actor"), data.get("speaker"), data.get("represents"),
                 *data.get("participants", []), *data.get("signatories", []),
                 *data.get("members", [])]
        assert {n for n in named if n} <= set(ACTORS), event["id"]
        if data.get("topic") and event["type"] != "topic.defined":
            assert data["topic"] in TOPICS, event["id"]


def test_actor_ids_follow_the_design() -> None:
    for actor, data in ACTORS.items():
        if data["kind"] == "country":
            assert re.fullmatch(r"[a-z]{3}", actor), actor
        else:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", actor), actor
    for expected in ("gbr", "fra", "deu", "pol", "rus", "usa", "ukr", "nld", "est", "lva",
                     "ltu", "rou", "baltic-states", "nordic-countries",
                     "coalition-of-the-willing", "nato", "eu", "keir-starmer",
                     "emmanuel-macron", "volodymyr-zelenskyy"):
        assert expected in ACTORS, expected
    assert set(ACTORS["baltic-states"]["members"]) == {"est", "lva", "ltu"}
    assert ACTORS["keir-starmer"]["represents"] == "gbr"
    assert ACTORS["emmanuel-macron"]["represents"] == "fra"


def test_garbled_names_are_aliases() -> None:
    aliases = {fold(a): actor for actor, d in ACTORS.items() for a in d["aliases"]}
    assert aliases[fold("Kir Starmer")] == "keir-starmer"
    assert aliases[fold("Kiel Kiel")] == "keir-starmer"
    assert aliases[fold("Zelenskiy")] == "volodymyr-zelenskyy"


@pytest.mark.parametrize(("stem", "words"), [
    ("002_3cf8f900562f8d90", "Biden administration"),
    ("001_037743cdbc969145", "Former President Donald Trump"),
    ("002_3cf8f900562f8d90", "Kir Starmer"),
    ("004_c95673309f0d515a", "Kiel Kiel"),
])
def test_contradictions_are_recorded_as_disputed(stem: str, words: str) -> None:
    flagged = [e for s, _, e in ARTICLE_EVENTS
               if s == stem and e["disputed"] and words in e["source"]["quote"]]
    assert flagged, f"no disputed event quotes {words!r}"


def test_a_leaders_stance_is_the_countrys_with_the_leader_as_speaker() -> None:
    stances = [e["data"] for _, _, e in ARTICLE_EVENTS if e["type"] == "stance.declared"]
    leaders = {a for a, d in ACTORS.items() if d["kind"] == "person" and d["represents"]
               and ACTORS[d["represents"]]["kind"] == "country"}
    assert not [s for s in stances if s["actor"] in leaders], "a leader's stance is his country's"
    spoken = [s for s in stances if s["speaker"] in leaders]
    assert any(s["actor"] == ACTORS[s["speaker"]]["represents"] for s in spoken)


def test_the_story_is_there() -> None:
    def has(actor: str, stance: str, topic: str = "troops-in-ukraine") -> bool:
        return any(e["type"] == "stance.declared" and e["data"]["actor"] == actor
                   and e["data"]["stance"] == stance and e["data"]["topic"] == topic
                   for _, _, e in ARTICLE_EVENTS)

    assert has("fra", "supports") and has("pol", "opposes") and has("deu", "opposes")
    assert has("baltic-states", "supports") and has("rus", "opposes")
    assert has("gbr", "conditional")
    types = {e["type"] for _, _, e in ARTICLE_EVENTS}
    assert {"stance.declared", "claim.made", "meeting.scheduled", "agreement.signed",
            "statement.made"} <= types
    retreat = [e for _, _, e in ARTICLE_EVENTS if e["occurred"] == "2025-02-03"]
    assert retreat and retreat[0]["occurred_text"]
