"""Issue 11.1-4 and 6: documents, verified quotes, references that must exist, a registry that
changes only on purpose (and can be undone), and who recorded each event."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from tests.api.conftest import B, make_client, stance_json
from tests.web.html_tree import parse

ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"
DOC = "004_c95673309f0d515a"
# Verbatim in the seed article DOC.
QUOTE = "Poland has ruled out sending troops"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("gets-in") / "s.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", seed_events_dir=ROOT / "events"))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'f.db'}",
                              seed_events_dir=ROOT / "events"))
    with TestClient(app) as client:
        yield client


def post(client: TestClient, *events: dict[str, Any], **headers: str) -> Any:
    return client.post("/api/events", json={"events": list(events)}, headers=headers)


def errors_of(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    assert response.status_code == 422, body
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def document(doc: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "document.registered",
            "data": {"document": doc, "title": f"Title of {doc}", "text": text, **extra}}


# -- 1. documents ---------------------------------------------------------------------------
def test_the_seed_articles_are_registered_documents(seeded: TestClient) -> None:
    listed = seeded.get("/api/documents").json()["documents"]
    assert [d["document"] for d in listed] == sorted(p.name.removesuffix(".txt")
                                                    for p in (ROOT / "seeds").glob("*.txt"))
    one = seeded.get(f"/api/documents/{DOC}").json()
    text = (ROOT / "seeds" / f"{DOC}.txt").read_text(encoding="utf-8")
    assert one["text"] == text
    assert one["document"]["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert one["document"]["published"] == "2025-01"
    # Every seeded event citing it is listed, each verified.
    citing = seeded.get("/api/events", params={"limit": 1000}).json()["events"]
    expected = [e["id"] for e in citing if (e["source"] or {}).get("document") == DOC]
    assert [c["id"] for c in one["cited_by"]] == expected and expected
    assert all(c["verified"] for c in one["cited_by"])
    # The registering event carries the text and its digest: the chain covers both.
    registered = seeded.get("/api/events", params={"type": "document.registered"}).json()
    mine = next(e for e in registered["events"] if e["data"]["document"] == DOC)
    assert mine["data"]["text"] == text
    assert mine["data"]["text_sha256"] == one["document"]["text_sha256"]


def test_documents_filter_by_publisher_and_publication(fresh: TestClient) -> None:
    assert post(fresh, document("nyt-1", "A text.", publisher="The New York Times",
                                published="2025-02-14")).status_code == 201
    by_publisher = fresh.get("/api/documents", params={"publisher": "the new york times"})
    assert [d["document"] for d in by_publisher.json()["documents"]] == ["nyt-1"]
    # A month-precision publication overlaps every day of its month.
    february = fresh.get("/api/documents", params={"from": "2025-02-10", "to": "2025-02-20"})
    assert {d["document"] for d in february.json()["documents"]} == {
        "nyt-1", "001_037743cdbc969145"}
    missing = fresh.get("/api/documents/nyt-2")
    assert missing.status_code == 404 and "nyt-1" in missing.text


def test_a_document_registered_through_the_api_checks_later_quotes(fresh: TestClient) -> None:
    text = "Line one.\nThe minister said: \u201cWe will not send troops \u2014 ever.\u201d\nEnd."
    assert post(fresh, document("new-article", text)).status_code == 201
    # Whitespace, quote marks, dashes and case do not matter; the words do.
    ok = stance_json("pol", occurred="2025-03-01")
    ok["source"] = {"document": "new-article", "quote": 'we will  not send troops - ever."'}
    assert post(fresh, ok).status_code == 201
    wrong = stance_json("pol", occurred="2025-03-02")
    wrong["source"] = {"document": "new-article", "quote": "We will send troops."}
    [error] = errors_of(post(fresh, wrong))
    assert error["path"] == "events.0.source.quote"
    assert "We will not send troops" in error["message"], "it names the closest passage"
    # A wrong digest is refused; the right one is accepted.
    bad_digest = document("other", "x", text_sha256="0" * 64)
    assert "text_sha256" in post(fresh, bad_digest).text
    good = document("other", "x", text_sha256=hashlib.sha256(b"x").hexdigest())
    assert post(fresh, good).status_code == 201


def test_the_page_shows_a_quote_in_its_paragraph(seeded: TestClient) -> None:
    events = seeded.get("/api/events", params={"limit": 1000}).json()["events"]
    event = next(e for e in events if (e["source"] or {}).get("document") == DOC
                 and e["type"] == "stance.declared")
    one = seeded.get(f"/api/events/{event['id']}").json()
    passage = one["passage"]
    assert passage["document"] == DOC and passage["quote"]
    text = (ROOT / "seeds" / f"{DOC}.txt").read_text(encoding="utf-8")
    paragraph = passage["before"] + passage["quote"] + passage["after"]
    assert paragraph in text.split("\n")
    page = parse(seeded.get("/", params={"event": event["id"]}).text)
    [mark] = page.find_all("mark")
    assert mark.text() == passage["quote"]
    assert seeded.get(f"/api/events/{events[0]['id']}").json()["passage"] is None


# -- 2. verified quotes ---------------------------------------------------------------------
def test_a_made_up_quote_of_a_registered_document_is_refused(seeded: TestClient) -> None:
    made_up = stance_json("pol", occurred="2025-01")
    made_up["source"] = {"document": DOC,
                         "quote": "Poland will gladly send 50,000 troops tomorrow."}
    [error] = errors_of(post(seeded, made_up))
    assert error["path"] == "events.0.source.quote" and "closest passage" in error["message"]


def test_a_source_needs_a_document_or_a_url(client: TestClient) -> None:
    fresh = client
    neither = stance_json()
    neither["source"] = {"quote": "q"}
    assert "`document` or a `url`" in post(fresh, neither).text
    by_url = stance_json("fra", occurred="2025-04-01")
    by_url["source"] = {"url": "https://example.org/a", "quote": "anything"}
    unregistered = stance_json("fra", occurred="2025-04-02")
    assert post(fresh, by_url, unregistered).status_code == 201
    answer = fresh.get("/api/stances", params={"actor": "fra", "topic": T}).json()
    evidence = answer["stances"][0]["evidence"]
    assert sorted((e["url"] or "", e["document"] or "", e["verified"]) for e in evidence) == [
        ("", "test", False), ("https://example.org/a", "", False)]
    log = fresh.get("/api/events", params={"after": fresh.get("/api/verify").json()["events"]
                                           - 2}).json()["events"]
    assert [e["source"]["verified"] for e in log] == [False, False]
    assert log[0]["source"]["url"] == "https://example.org/a"


def test_the_client_cannot_claim_verified(fresh: TestClient) -> None:
    claimed = stance_json()
    claimed["source"]["verified"] = True
    assert post(fresh, claimed).status_code == 422


def test_every_evidence_says_whether_it_was_verified(seeded: TestClient) -> None:
    answers = [
        seeded.get("/api/stances", params={"topic": T, "evidence": "full"}).json()["stances"],
        seeded.get("/api/history", params={"actor": "fra", "topic": T}).json()["changes"],
        seeded.get("/api/changes", params={"from": "2024-01-01"}).json()["changes"],
    ]
    evidence = [e for rows in answers for row in rows for e in row["evidence"]]
    assert evidence and all(e["verified"] is True for e in evidence)
    claims = seeded.get("/api/claims").json()["claims"]
    assert claims and all(c["verified"] is True for c in claims)


# -- 3. references must exist ---------------------------------------------------------------
@pytest.mark.parametrize(("event", "path", "suggested"), [
    (stance_json("germany"), "events.0.data.actor", "deu"),
    (stance_json("deuu"), "events.0.data.actor", "deu"),
    ({**stance_json(), "data": {"actor": "fra", "topic": "reassurance-force",
                                "stance": "supports"}}, "events.0.data.topic", None),
    ({**stance_json(), "data": {"actor": "fra", "topic": T, "stance": "supports",
                                "speaker": "merz"}}, "events.0.data.speaker", "friedrich-merz"),
    ({**stance_json(), "data": {"actor": "gbr", "topic": T, "stance": "conditional",
                                "conditions": [{"on": "us-backstopp", "text": "US"}]}},
     "events.0.data.conditions.0.on", "us-backstop"),
    ({"type": "meeting.held", "occurred": "2025-02-03", "source": {"document": "t", "quote": "q"},
      "data": {"title": "Retreat", "participants": ["fra", "polandd"]}},
     "events.0.data.participants.1", "pol"),
    ({"type": "agreement.signed", "occurred": "2026-01-06",
      "source": {"document": "t", "quote": "q"},
      "data": {"title": "Paris Declaration", "signatories": ["gbrr"]}},
     "events.0.data.signatories.0", "gbr"),
    ({"type": "actor.registered", "data": {"actor": "new-group", "name": "New group",
                                           "kind": "group", "members": ["estt"]}},
     "events.0.data.members.0", "est"),
    ({"type": "actor.registered", "data": {"actor": "new-person", "name": "New person",
                                           "kind": "person", "represents": "frra"}},
     "events.0.data.represents", "fra"),
])
def test_an_unregistered_reference_is_422_with_the_closest_ids(
        client: TestClient, event: dict[str, Any], path: str, suggested: str | None) -> None:
    errors = errors_of(post(client, event))
    [error] = [e for e in errors if e["path"] == path]
    assert "is registered" in error["message"] or "is not" in error["message"]
    if suggested is not None:
        assert suggested in error["matches"], error
        assert f"`{suggested}` (" in error["message"], "the id comes with its name"
    assert client.get("/api/verify").json()["events"] == B


def test_a_name_where_an_id_is_expected_gets_the_id(client: TestClient) -> None:
    [error] = errors_of(post(client, stance_json("Germany")))
    assert error["path"] == "events.0.data.actor" and error["matches"] == ["deu"]
    assert "did you mean `deu`" in error["message"]


def test_a_registration_earlier_in_the_batch_counts(client: TestClient) -> None:
    registered = {"type": "actor.registered",
                  "data": {"actor": "bel", "name": "Belgium", "kind": "country"}}
    assert post(client, registered, stance_json("bel")).status_code == 201
    # ... but not one later in the batch.
    later = {"type": "actor.registered",
             "data": {"actor": "lux", "name": "Luxembourg", "kind": "country"}}
    [error] = errors_of(post(client, stance_json("lux"), later))
    assert error["path"] == "events.0.data.actor"


# -- 4. the registry changes only on purpose, and can be undone ------------------------------
def test_registering_an_existing_id_is_409_pointing_at_updates(client: TestClient) -> None:
    again = post(client, {"type": "actor.registered",
                          "data": {"actor": "pol", "name": "Poland", "kind": "country"}})
    assert again.status_code == 409 and "actor.updated" in again.json()["detail"]
    topic = post(client, {"type": "topic.defined", "data": {"topic": T, "title": "New"}})
    assert topic.status_code == 409 and "topic.updated" in topic.json()["detail"]
    pol = client.get("/api/actors/pol").json()
    assert "Polish" in pol["aliases"], "Poland keeps its aliases"


def test_an_alias_held_by_another_actor_is_422(client: TestClient) -> None:
    taken = {"type": "actor.registered",
             "data": {"actor": "xyz", "name": "Xyz", "kind": "country", "aliases": ["GERMANY"]}}
    [error] = errors_of(post(client, taken))
    assert "already names actor `deu`" in error["message"]
    update = {"type": "actor.updated", "data": {"actor": "fra", "aliases": ["Polish"]}}
    assert "already names actor `pol`" in post(client, update).text
    assert client.get("/api/actors", params={"q": "germany"}).json()["actors"][0]["actor"] == "deu"


def test_updates_change_only_what_they_name_and_retractions_undo_them(
        client: TestClient) -> None:
    before = client.get("/api/actors/pol").json()
    rename = post(client, {"type": "actor.updated",
                           "data": {"actor": "pol", "name": "Republic of Poland"}})
    assert rename.status_code == 201
    after = client.get("/api/actors/pol").json()
    assert after["name"] == "Republic of Poland"
    assert after["aliases"] == before["aliases"] and after["kind"] == before["kind"]
    assert client.get("/api/stances", params={"actor": "Republic of Poland",
                                              "topic": T}).status_code == 200
    titled = post(client, {"type": "topic.updated", "data": {"topic": T, "title": "The force"}})
    assert titled.status_code == 201
    topics = client.get("/api/topics").json()["topics"]
    assert [t["title"] for t in topics if t["topic"] == T] == ["The force"]
    # Retract both: exactly what the remaining events say comes back.
    for made in (rename, titled):
        target = made.json()["appended"][0]["id"]
        undo = {"type": "event.retracted", "data": {"target": target, "reason": "mistake"}}
        assert post(client, undo).status_code == 201
    assert client.get("/api/actors/pol").json() == before
    assert client.get("/api/topics").json()["topics"] == topics[:0] + [
        t if t["topic"] != T else {**t, "title": _title(T)} for t in topics]
    # And a rebuild gives the same.
    service = client.app.state.service  # type: ignore[attr-defined]
    directory = (client.get("/api/actors").json(), client.get("/api/topics").json())
    service.rebuild()
    assert (client.get("/api/actors").json(), client.get("/api/topics").json()) == directory


def _title(topic: str) -> str:
    import json

    for line in (ROOT / "events" / "topics.jsonl").read_text().splitlines():
        data = json.loads(line)["data"]
        if data["topic"] == topic:
            return str(data["title"])
    raise AssertionError(topic)


def test_a_retracted_registration_leaves_no_actor_and_its_id_free(client: TestClient) -> None:
    made = post(client, {"type": "actor.registered",
                         "data": {"actor": "bel", "name": "Belgium", "kind": "country",
                                  "aliases": ["Belgique"]}})
    target = made.json()["appended"][0]["id"]
    undo = {"type": "event.retracted", "data": {"target": target, "reason": "duplicate"}}
    assert post(client, undo).status_code == 201
    assert client.get("/api/actors/bel").status_code == 404
    assert client.get("/api/actors", params={"q": "Belgique"}).json()["actors"] == []
    assert errors_of(post(client, stance_json("bel")))[0]["path"] == "events.0.data.actor"
    # Its id and alias are free again.
    again = {"type": "actor.registered",
             "data": {"actor": "bel", "name": "Kingdom of Belgium", "kind": "country",
                      "aliases": ["Belgique"]}}
    assert post(client, again).status_code == 201


def test_an_actor_with_no_counting_stance_leaves_no_matrix_row(client: TestClient) -> None:
    made = post(client, stance_json("nld", occurred="2025-01-10"))
    assert [s["actor"] for s in client.get("/api/stances", params={"topic": T}).json()[
        "stances"]] == ["nld"]
    target = made.json()["appended"][0]["id"]
    undo = {"type": "event.retracted", "data": {"target": target, "reason": "misread"}}
    assert post(client, undo).status_code == 201
    assert client.get("/api/stances", params={"topic": T}).json()["stances"] == []
    page = client.get("/").text
    assert 'data-actor="nld"' not in page, "no matrix row, no lane"
    service = client.app.state.service  # type: ignore[attr-defined]
    service.rebuild()
    assert client.get("/api/stances", params={"topic": T}).json()["stances"] == []


# -- 6. who recorded it ---------------------------------------------------------------------
def test_named_tokens_record_who_appended_each_event(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    for client in make_client(url, api_tokens="alice:s3cret, bob:other-secret,anonymous"):
        alice = post(client, stance_json("fra"), Authorization="Bearer s3cret")
        bob = post(client, stance_json("deu"), Authorization="Bearer other-secret")
        bare = post(client, stance_json("pol"), Authorization="Bearer anonymous")
        assert [r.status_code for r in (alice, bob, bare)] == [201, 201, 201]
        assert post(client, stance_json("gbr"), Authorization="Bearer alice").status_code == 401
        ids = [r.json()["appended"][0]["id"] for r in (alice, bob, bare)]
        assert [client.get(f"/api/events/{i}").json()["recorded_by"] for i in ids] == [
            "alice", "bob", None]
        mine = client.get("/api/events", params={"recorded_by": "alice"}).json()["events"]
        assert [e["id"] for e in mine] == ids[:1]
        slides = client.get("/api/timelinejs", params={"recorded_by": "alice"}).json()
        assert [s["unique_id"] for s in slides["events"]] == ids[:1]
        assert "recorded_by alice" in slides["title"]["text"]["text"]
        page = parse(client.get("/", params={"event": ids[0]}).text)
        recorded = [n for n in page.find_all("dd") if n.get("data-slot") == "recorded-by"]
        assert [n.text() for n in recorded] == ["alice"]
        # The chain covers it: a changed name is found.
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
            conn.exec_driver_sql(f"UPDATE events SET recorded_by = 'mallory' "
                                 f"WHERE position = {B + 1}")
        engine.dispose()
        report = client.get("/api/verify").json()
        assert report["ok"] is False and report["broken_at"] == B + 1


def test_a_replay_answers_the_original_even_after_its_document_is_registered(
        client: TestClient) -> None:
    sent = stance_json("fra", id=str(uuid.uuid4()))
    sent["source"] = {"document": "later-doc", "quote": "we agree"}
    first = post(client, sent)
    assert post(client, document("later-doc", "And then: we agree.")).status_code == 201
    again = post(client, sent)
    assert again.status_code == 201 and again.json() == first.json()
    assert client.get(f"/api/events/{sent['id']}").json()["source"]["verified"] is False
