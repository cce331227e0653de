"""Unregistered references are found set-wise, with the closest registered ids offered."""

from __future__ import annotations

from stanceline.domain.references import Directory, missing_references, named, suggest

ACTORS = {"deu": ("Germany", "German"), "pol": ("Poland", "Polish"),
          "keir-starmer": ("Keir Starmer", "Kir Starmer")}
TOPICS = {"troops-in-ukraine": ("European troops in Ukraine",), "us-backstop": ("US backstop",)}


def test_every_reference_is_named_with_its_path() -> None:
    data = {"actor": "gbr", "topic": "troops-in-ukraine", "speaker": "keir-starmer",
            "conditions": [{"on": "us-backstop", "text": "a US backstop"}],
            "dropped": ["ceasefire"]}
    assert named("stance.declared", data) == [
        ("data.actor", "actor", "gbr"), ("data.speaker", "actor", "keir-starmer"),
        ("data.topic", "topic", "troops-in-ukraine"),
        ("data.conditions.0.on", "topic", "us-backstop"),
        ("data.dropped.0", "topic", "ceasefire")]
    # A registration names itself without referring to itself.
    assert named("actor.registered", {"actor": "x", "name": "X", "aliases": [],
                                      "members": ["pol"], "represents": None}) == [
        ("data.members.0", "actor", "pol")]


def test_a_name_where_an_id_is_expected_gets_the_id() -> None:
    assert suggest("Germany", ACTORS)[0] == "`deu` (Germany)"
    assert suggest("germany", ACTORS)[0] == "`deu` (Germany)"
    assert suggest("deuu", ACTORS)[0] == "`deu` (Germany)"
    assert suggest("reassurance-force", {"zzz": ("Quux",)}) == ()


def test_registrations_earlier_in_the_batch_count() -> None:
    directory = Directory(dict(ACTORS), dict(TOPICS))
    batch = [("stance.declared", {"actor": "nld", "topic": "troops-in-ukraine"}),
             ("actor.registered", {"actor": "nld", "name": "Netherlands", "aliases": []}),
             ("stance.declared", {"actor": "nld", "topic": "troops-in-ukraine"})]
    problems = missing_references(batch, directory)
    assert [(i, m.path, m.value) for i, m in problems] == [(0, "data.actor", "nld")]
    assert "nld" in directory.actors
    assert problems[0][1].message().startswith("no actor `nld` is registered")
