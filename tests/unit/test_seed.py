"""The seeded record: the articles as given, their metadata, and every curated event."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stanceline.dates import parse_edtf, parse_open_edtf
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
    assert event["occurred"] is not None
    assert event["relative_to"] == meta["reference_date"]
    if event["occurred_text"]:
        assert event["occurred_text"] in text, "occurred_text is not as written"
    if event["disputed"]:
        assert event["note"], "a disputed event says why"


@pytest.mark.parametrize(("stem", "number", "event"), ARTICLE_EVENTS,
                         ids=[f"{s}:{n}" for s, n, _ in ARTICLE_EVENTS])
def test_every_event_is_valid_input(stem: str, number: int, event: dict[str, Any]) -> None:
    occurred = event["occurred"]
    assert (parse_edtf(occurred) or parse_open_edtf(occurred)) is not None, "not EDTF"
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
        if event["type"] == "stance.declared":
            on = [c["on"] for c in data["conditions"]] + data["dropped"]
            assert set(on) <= TOPICS, event["id"]


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
    assert aliases[fold("Zhmailo")] == aliases[fold("Zhmaillo")] == "dmytro-zhmaillo"
    assert aliases[fold("Ria Novosti")] == "ria-novosti"
    assert aliases[fold("Kiev")] == "ukr"
    assert aliases[fold("Priority")] == "unidentified-leader"
    assert aliases[fold("his former defense secretary")] == "former-us-defense-secretary"


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


def stances(actor: str, topic: str) -> list[dict[str, Any]]:
    return [e for _, _, e in ARTICLE_EVENTS if e["type"] == "stance.declared"
            and e["data"]["actor"] == actor and e["data"]["topic"] == topic]


def test_the_story_is_there() -> None:
    def has(actor: str, stance: str, topic: str = "troops-in-ukraine") -> bool:
        return any(e["data"]["stance"] == stance for e in stances(actor, topic))

    assert has("fra", "supports") and has("rus", "opposes") and has("gbr", "conditional")
    assert has("pol", "opposes", "own-troops") and has("deu", "opposes", "own-troops")
    assert has("baltic-states", "conditional") and has("coalition-of-the-willing", "conditional")
    assert has("gbr", "conditional", "own-troops")
    types = {e["type"] for _, _, e in ARTICLE_EVENTS}
    assert {"stance.declared", "claim.made", "meeting.scheduled", "agreement.signed",
            "statement.made"} <= types
    retreat = [e for _, _, e in ARTICLE_EVENTS if e["occurred"] == "2025-02-03"]
    assert retreat and retreat[0]["occurred_text"]


# -- the audit rules of issue 10 (point 8), as the record must keep them ----------------------

def test_stances_are_schema_version_2_with_conditions_as_things() -> None:
    for stem, _, event in ARTICLE_EVENTS:
        if event["type"] != "stance.declared":
            continue
        assert event["schema_version"] == 2, event["id"]
        data = event["data"]
        assert set(data) == {"actor", "topic", "stance", "conditions", "dropped", "speaker",
                             "summary"}, event["id"]
        text = (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")
        for condition in data["conditions"]:
            assert set(condition) == {"on", "text"}, event["id"]
            assert condition["text"] in text, "a condition keeps the words as written"
        # conditional means "supports only if the listed conditions hold": it lists them
        assert (data["stance"] == "conditional") == bool(data["conditions"]), event["id"]


def test_a_mission_scope_is_not_a_condition() -> None:
    for _, _, event in ARTICLE_EVENTS:
        if event["type"] == "stance.declared":
            for condition in event["data"]["conditions"]:
                assert "non-combat" not in condition["text"], event["id"]


def test_limiting_qualifiers_make_a_stance_conditional() -> None:
    qualifiers = ("as long as", "as far as", "only if", " without ")
    for _, _, event in ARTICLE_EVENTS:
        if event["type"] == "stance.declared" and event["data"]["stance"] == "supports":
            assert not any(q in event["source"]["quote"] for q in qualifiers), event["id"]


def test_ruling_out_ones_own_soldiers_is_own_troops() -> None:
    assert not stances("pol", "troops-in-ukraine") and not stances("deu", "troops-in-ukraine")
    assert [e["data"]["stance"] for e in stances("pol", "own-troops")] == ["opposes"]
    assert [e["data"]["stance"] for e in stances("deu", "own-troops")] == ["opposes"]
    # Macron's 2024 idea is of wartime support roles, not of a post-ceasefire force
    assert [e["occurred"] for e in stances("fra", "troops-during-war")] == ["2024-02"]


def test_a_former_official_is_not_the_state() -> None:
    assert not stances("usa", "own-troops")
    former = [e for _, _, e in ARTICLE_EVENTS
              if e["data"].get("actor") == "former-us-defense-secretary"]
    assert former and all(e["type"] == "statement.made" and e["disputed"] for e in former)
    assert ACTORS["former-us-defense-secretary"]["represents"] is None


def test_claims_have_one_subject_per_quantity_and_credit_only_who_holds_them() -> None:
    claims = [e for _, _, e in ARTICLE_EVENTS if e["type"] == "claim.made"]
    subjects = {e["data"]["subject"] for e in claims}
    assert "contingent-size" not in subjects and "force-size" in subjects
    reporters = {"dmytro-zhmaillo", "camille-grand", "christopher-miller"}
    for e in claims:
        if e["data"]["subject"] == "force-size":
            assert e["data"]["actor"] not in reporters, e["id"]
    sizes = sorted((e["data"]["value"] or e["data"]["high"]) for e in claims
                   if e["data"]["subject"] == "force-size")
    assert sizes == [10000, 15000, 20000, 30000, 30000, 30000, 40000, 50000, 110000, 200000]


def test_no_invented_signatories_or_members() -> None:
    paris = [e for _, _, e in ARTICLE_EVENTS if e["type"] == "agreement.signed"
             and e["data"]["title"] == "Paris Declaration"]
    assert paris and paris[0]["data"]["signatories"] == []
    for actor in ("est", "lva", "ltu"):
        assert all(e["disputed"] and e["note"] for e in stances(actor, "troops-in-ukraine"))


def test_undated_earlier_acts_have_open_starts() -> None:
    for stem, _, event in ARTICLE_EVENTS:
        meta = json.loads((SEEDS / f"{stem}.meta.json").read_text(encoding="utf-8"))
        if event["occurred"].startswith("../"):
            assert event["occurred"][3:] <= meta["reference_date"], event["id"]
        if "previously" in event["source"]["quote"]:
            assert event["occurred"] == "../2025-02-20", event["id"]
    goal = [e for _, _, e in ARTICLE_EVENTS if "guarantees this year" in e["source"]["quote"]]
    assert goal and goal[0]["occurred"] == "2025-02" and not goal[0]["occurred_text"]
    at_the_time = [e for _, _, e in ARTICLE_EVENTS if e["occurred_text"] == "At the time"]
    assert at_the_time and at_the_time[0]["occurred"] == "2024-02"


def test_the_machine_elaborated_article_is_flagged() -> None:
    elaborated = [e for s, _, e in ARTICLE_EVENTS if s == "002_3cf8f900562f8d90"]
    assert elaborated and all(e["disputed"] and e["note"] for e in elaborated)
