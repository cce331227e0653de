"""CSV wherever there is a table, and the stance panel: each export read back with `csv` and
compared with the JSON answer of the same request; pandas loads the panel and the log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings

from .conftest import B, stance_json

ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"
KNOWN = "2030-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("csv") / "s.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", seed_events_dir=ROOT / "events"))
    with TestClient(app) as client:
        yield client


def text(value: Any) -> str:
    """What a JSON value is in a CSV cell (written here independently of the renderer)."""
    if value is None:
        return ""
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    if isinstance(value, list):
        return "; ".join(text(v) for v in value)
    return str(value)


def get_json(client: TestClient, url: str, **params: str) -> dict[str, Any]:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body: dict[str, Any] = r.json()
    return body


def get_csv(client: TestClient, url: str, **params: str) -> list[dict[str, str]]:
    """The CSV of a request, by `format=csv` and by `Accept: text/csv` (the same bytes)."""
    by_format = client.get(url, params={**params, "format": "csv"})
    by_accept = client.get(url, params=params, headers={"Accept": "text/csv"})
    for r in (by_format, by_accept):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        disposition = r.headers["content-disposition"]
        assert disposition.startswith("attachment; filename=") and disposition.endswith('.csv"')
    assert by_format.content == by_accept.content
    body = by_format.content.decode("utf-8")
    lines = body.split("\r\n")
    assert lines[-1] == "", "every record ends with CRLF (RFC 4180)"
    return list(csv.DictReader(io.StringIO(body, newline="")))


def columns(client: TestClient, url: str, **params: str) -> list[str]:
    r = client.get(url, params={**params, "format": "csv"})
    return next(csv.reader(io.StringIO(r.text, newline="")))


# -- each table against its JSON ------------------------------------------------------------
def test_the_log_is_one_flat_row_per_event(seeded: TestClient) -> None:
    params = {"topic": T, "from": "2025-01-01", "to": "2026-01-31", "limit": "500"}
    events = get_json(seeded, "/api/events", **params)["events"]
    rows = get_csv(seeded, "/api/events", **params)
    assert len(rows) == len(events) > 10
    assert columns(seeded, "/api/events", limit="1")[:7] == [
        "id", "position", "type", "occurred", "occurred_start", "occurred_end", "precision"]
    for row, event in zip(rows, events, strict=True):
        data, source = event["data"], event["source"] or {}
        assert row["id"] == event["id"] and row["position"] == str(event["position"])
        for key in ("type", "occurred", "occurred_start", "occurred_end", "precision",
                    "recorded_at", "disputed"):
            assert row[key] == text(event[key]), key
        for key in ("actor", "topic", "stance", "speaker", "summary"):
            assert row[key] == text(data.get(key)), key
        assert row["quote"] == text(source.get("quote"))
        assert row["document"] == text(source.get("document"))
        assert row["conditions"] == "; ".join(c["on"] for c in data.get("conditions", []))
        assert row["topic"] == T
    assert any(row["conditions"] for row in rows)


def test_the_log_csv_keeps_the_filters_and_pages(seeded: TestClient) -> None:
    rows = get_csv(seeded, "/api/events", actor="pol")
    assert rows and {r["actor"] for r in rows} == {"pol"}
    first = seeded.get("/api/events", params={"limit": "5", "format": "csv"})
    link = first.headers["link"]
    assert link.endswith('>; rel="next"') and "after=5" in link and "limit=5" in link
    following = seeded.get(link[1:link.index(">")])
    assert following.headers["content-type"].startswith("text/csv")
    positions = [r["position"] for r in csv.DictReader(io.StringIO(following.text))]
    assert positions == ["6", "7", "8", "9", "10"]


@pytest.mark.parametrize("params", [
    {"topic": T, "as_of": "2026-01-10", "evidence": "full"},
    {"actor": "Kir Starmer", "as_of": "2026-01-10"},
    {"actor": "gbr", "topic": T, "as_of": "2025-02-15"},
])
def test_stances(seeded: TestClient, params: dict[str, str]) -> None:
    answer = get_json(seeded, "/api/stances", known_at=KNOWN, **params)
    rows = get_csv(seeded, "/api/stances", known_at=KNOWN, **params)
    assert len(rows) == len(answer["stances"]) > 0
    for row, item in zip(rows, answer["stances"], strict=True):
        assert row["as_of"] == answer["as_of"]
        for key in ("actor", "topic", "speaker", "stance", "certain", "possible", "since",
                    "last_stated"):
            assert row[key] == text(item[key]), key
        assert row["conditions"] == text([c["on"] for c in item["conditions"]])
        assert row["conditions_text"] == text([c["text"] for c in item["conditions"]])
        assert row["evidence"] == text([e["id"] for e in item["evidence"]])


def test_history(seeded: TestClient) -> None:
    for actor in ("fra", "keir-starmer"):
        answer = get_json(seeded, "/api/history", actor=actor, topic=T, known_at=KNOWN)
        rows = get_csv(seeded, "/api/history", actor=actor, topic=T, known_at=KNOWN)
        assert len(rows) == len(answer["changes"]) > 0
        for row, change in zip(rows, answer["changes"], strict=True):
            assert row["actor"] == (change["actor"] or answer["actor"])
            assert row["speaker"] == text(answer["speaker"])
            for key in ("since", "last_stated", "stance", "certain"):
                assert row[key] == text(change[key]), key
            assert row["quote"] == change["evidence"][0]["quote"]
            assert row["document"] == change["evidence"][0]["document"]


def test_changes(seeded: TestClient) -> None:
    params = {"from": "2025-02-15", "to": "2026-01-10", "known_at": KNOWN}
    answer = get_json(seeded, "/api/changes", **params)
    rows = get_csv(seeded, "/api/changes", **params)
    assert len(rows) == len(answer["changes"]) > 0
    for row, move in zip(rows, answer["changes"], strict=True):
        assert (row["from"], row["to"]) == (answer["from"], answer["to"])
        assert (row["actor"], row["topic"]) == (move["actor"], move["topic"])
        assert row["before"] == move["before"]["stance"]
        assert row["after"] == move["after"]["stance"]
        assert row["after_certain"] == text(move["after"]["certain"])


def test_claims_keep_their_qualifiers_and_numbers(seeded: TestClient) -> None:
    answer = get_json(seeded, "/api/claims", subject="force-size", known_at=KNOWN)
    rows = get_csv(seeded, "/api/claims", subject="force-size", known_at=KNOWN)
    assert len(rows) == len(answer["claims"]) > 5
    assert list(rows[0]) == list(answer["claims"][0])
    for row, claim in zip(rows, answer["claims"], strict=True):
        assert row == {key: text(value) for key, value in claim.items()}
        for key in ("value", "low", "high"):
            assert (float(row[key]) if row[key] else None) == claim[key]
    assert any(r["qualifier"] for r in rows)


def test_actors_and_topics(seeded: TestClient) -> None:
    actors = get_json(seeded, "/api/actors", q="France")["actors"]
    rows = get_csv(seeded, "/api/actors", q="France")
    assert [r["actor"] for r in rows] == [a["actor"] for a in actors] == ["fra"]
    assert rows[0]["aliases"] == "; ".join(actors[0]["aliases"])
    topics = get_json(seeded, "/api/topics")["topics"]
    assert get_csv(seeded, "/api/topics") == [{k: text(v) for k, v in t.items()} for t in topics]


# -- the stance panel ------------------------------------------------------------------------
def test_the_panel_is_the_matrix_at_each_period_end(seeded: TestClient) -> None:
    params = {"topic": T, "from": "2025-01", "to": "2025-06-15", "known_at": KNOWN}
    panel = get_json(seeded, "/api/panel", **params)
    assert (panel["topic"], panel["from"], panel["to"], panel["every"]) == (
        T, "2025-01-01", "2025-06-15", "month")
    periods = sorted({(r["period"], r["period_end"]) for r in panel["rows"]})
    assert periods == [("2025-01", "2025-01-31"), ("2025-02", "2025-02-28"),
                       ("2025-03", "2025-03-31"), ("2025-04", "2025-04-30"),
                       ("2025-05", "2025-05-31"), ("2025-06", "2025-06-15")]
    for _, end in periods:
        matrix = get_json(seeded, "/api/stances", topic=T, as_of=end, known_at=KNOWN)
        expected = {(s["actor"], s["stance"], s["certain"], s["since"])
                    for s in matrix["stances"]}
        got = {(r["actor"], r["stance"], r["certain"], r["since"])
               for r in panel["rows"] if r["period_end"] == end}
        assert got == expected, end
    by = {(r["period"], r["actor"]): r for r in panel["rows"]}
    # The UK's open-start "conditional" (../2025-02-20) may already hold in January.
    assert by["2025-01", "gbr"]["stance"] == "unknown"
    assert (by["2025-01", "gbr"]["certain"], by["2025-01", "gbr"]["possible"]) == (
        False, ["conditional"])
    assert (by["2025-02", "gbr"]["stance"], by["2025-02", "gbr"]["certain"]) == (
        "conditional", True)
    rows = get_csv(seeded, "/api/panel", **params)
    assert list(rows[0]) == ["period", "period_end", "actor", "topic", "stance", "certain",
                             "possible", "since"]
    assert rows == [{k: text(v) for k, v in r.items()} for r in panel["rows"]]


def test_panel_quarters_years_and_an_actor(seeded: TestClient) -> None:
    quarters = get_json(seeded, "/api/panel", topic=T, every="quarter", **{
        "from": "2024-11-05", "to": "2025-12-31"})
    assert sorted({r["period"] for r in quarters["rows"]}) == [
        "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert {r["period_end"] for r in quarters["rows"] if r["period"] == "2025-Q1"} == {
        "2025-03-31"}
    years = get_json(seeded, "/api/panel", actor="France", every="year",
                     **{"from": "2024", "to": "2026-01-31"})
    assert {r["actor"] for r in years["rows"]} == {"fra"}
    assert {(r["period"], r["period_end"]) for r in years["rows"]} == {
        ("2024", "2024-12-31"), ("2025", "2025-12-31"), ("2026", "2026-01-31")}
    every_topic = get_json(seeded, "/api/panel", **{"from": "2025-02", "to": "2025-02"})
    assert every_topic["topic"] is None and len({r["topic"] for r in every_topic["rows"]}) > 2


@pytest.mark.parametrize(("params", "says"), [
    ({"from": "1900-01", "to": "2025-01"}, "at most 600"),
    ({"from": "2025-06", "to": "2025-01"}, "after `to`"),
    ({"from": "2025-01", "every": "week"}, "every"),
    ({"from": "blorp"}, "from"),
    ({"to": "2025-01"}, "from"),
    ({"from": "2025-01", "format": "xml"}, "format"),
])
def test_panel_refuses(seeded: TestClient, params: dict[str, str], says: str) -> None:
    r = seeded.get("/api/panel", params={"topic": T, **params})
    assert r.status_code == 422, r.text
    assert says in r.text


def test_a_long_panel_by_year_is_fine(seeded: TestClient) -> None:
    r = seeded.get("/api/panel", params={"topic": T, "from": "1900", "to": "2025",
                                         "every": "year", "actor": "fra"})
    assert r.status_code == 200 and len(r.json()["rows"]) == 126


# -- the clients people use ------------------------------------------------------------------
def test_pandas_loads_the_panel_with_its_types(seeded: TestClient) -> None:
    r = seeded.get("/api/panel", params={"topic": T, "from": "2024-01", "to": "2026-01",
                                         "format": "csv"})
    frame = pd.read_csv(io.BytesIO(r.content), parse_dates=["period_end"])
    assert pd.api.types.is_datetime64_any_dtype(frame["period_end"])
    assert frame["certain"].dtype == bool
    assert set(frame["stance"]) <= {"supports", "opposes", "conditional", "undecided",
                                    "unknown"}
    wide = frame.pivot(index="actor", columns="period", values="stance")
    assert wide.loc["gbr", "2025-02"] == "conditional"
    assert wide.shape[1] == 25


def test_pandas_loads_the_log_with_its_types(seeded: TestClient) -> None:
    r = seeded.get("/api/events", params={"limit": "1000"},
                   headers={"Accept": "text/csv"})
    frame = pd.read_csv(io.BytesIO(r.content),
                        parse_dates=["occurred_start", "occurred_end", "recorded_at"])
    assert frame["position"].dtype == "int64"
    assert list(frame["position"]) == list(range(1, len(frame) + 1))
    for column in ("occurred_start", "occurred_end", "recorded_at"):
        assert pd.api.types.is_datetime64_any_dtype(frame[column]), column
    assert frame["disputed"].dtype == bool
    stances = frame[frame["type"] == "stance.declared"]
    assert stances["stance"].notna().all() and stances["actor"].notna().all()
    # An open start has no first day: an empty cell, read as NaT.
    assert frame["occurred_start"].isna().any()


# -- the format itself ------------------------------------------------------------------------
def test_rfc4180_quoting_and_utf8(client: TestClient) -> None:
    tricky = 'He said "no, never";\nthen: “perhaps” — ça dépend'
    event = stance_json(value="conditional", occurred="2025-02-03")
    event["data"]["summary"] = tricky
    event["data"]["conditions"] = [{"on": "ceasefire", "text": "a ceasefire"},
                                   {"on": "us-backstop", "text": "a US backstop"}]
    event["source"]["quote"] = tricky
    posted = client.post("/api/events", json={"events": [event]})
    assert posted.status_code == 201, posted.text
    r = client.get("/api/events", params={"format": "csv", "after": B})
    assert '"He said ""no, never"";\nthen: “perhaps” — ça dépend"' in r.content.decode()
    [row] = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"), newline="")))
    assert row["summary"] == row["quote"] == tricky
    assert row["conditions"] == "ceasefire; us-backstop"
    stances = client.get("/api/stances", params={"topic": T, "as_of": "2025-03-01",
                                                 "format": "csv"})
    [stance] = list(csv.DictReader(io.StringIO(stances.text, newline="")))
    assert stance["conditions_text"] == "a ceasefire; a US backstop"
    empty = client.get("/api/claims", params={"format": "csv"})
    assert empty.text.startswith("id,actor,speaker,") and empty.text.count("\r\n") == 1


@pytest.mark.parametrize(("accept", "csv_expected"), [
    ("text/csv", True),
    ("text/csv; charset=utf-8", True),
    ("text/csv, application/json;q=0.9", True),
    ("application/json, text/csv;q=0.5", False),
    ("application/json, text/csv", False),
    ("text/csv;q=0", False),
    ("*/*", False),
    ("text/html,application/xhtml+xml,*/*;q=0.8", False),
])
def test_accept_negotiation(seeded: TestClient, accept: str, csv_expected: bool) -> None:
    r = seeded.get("/api/topics", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv" if csv_expected
                                                else "application/json")


def test_format_json_wins_over_accept(seeded: TestClient) -> None:
    r = seeded.get("/api/claims", params={"format": "json"}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"] == "application/json"
    bad = seeded.get("/api/stances", params={"topic": T, "format": "xml"})
    assert bad.status_code == 422 and "format" in bad.text


def test_the_download_is_named_after_its_filters(seeded: TestClient) -> None:
    r = seeded.get("/api/panel", params={"topic": T, "from": "2025-01", "to": "2025-12",
                                         "every": "quarter", "format": "csv"})
    assert r.headers["content-disposition"] == (
        'attachment; filename="panel_troops-in-ukraine_2025-01_2025-12_quarter.csv"')
    odd = seeded.get("/api/actors", params={"q": 'a"b/../c', "format": "csv"})
    assert odd.headers["content-disposition"] == 'attachment; filename="actors_a-b-..-c.csv"'


def test_openapi_documents_csv_and_the_panel(seeded: TestClient) -> None:
    spec = seeded.get("/openapi.json").json()
    for path in ("/api/events", "/api/stances", "/api/history", "/api/changes", "/api/claims",
                 "/api/actors", "/api/topics", "/api/panel"):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert "text/csv" in content and "application/json" in content, path
        names = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert "format" in names, path
    panel = {p["name"] for p in spec["paths"]["/api/panel"]["get"]["parameters"]}
    assert {"topic", "from", "to", "every", "actor", "known_at"} <= panel


def test_panel_refuses_unknown_names_like_every_read(seeded: TestClient) -> None:
    for params in ({"topic": "troops"}, {"actor": "deuu"}, {"actr": "fra"}):
        r = seeded.get("/api/panel", params={"from": "2025-01", "to": "2025-02", **params})
        assert r.status_code in (404, 422), (params, r.text)
    by_title = seeded.get("/api/panel", params={"from": "2025-01", "to": "2025-02",
                                                "actor": "Germany"})
    assert by_title.status_code == 200 and {r["actor"] for r in by_title.json()["rows"]} == {
        "deu"}


def test_the_log_csv_says_what_was_retracted(client: TestClient) -> None:
    first = stance_json(occurred="2025-02-03")
    first["id"] = "8c6f2f0e-4b7e-4b53-9a8a-000000000001"
    posted = client.post("/api/events", json={"events": [first]})
    assert posted.status_code == 201, posted.text
    retraction = {"type": "event.retracted", "occurred": "2025-02-04",
                  "data": {"target": first["id"], "reason": "a test"}}
    assert client.post("/api/events", json={"events": [retraction]}).status_code == 201
    params = {"include_retracted": "true", "after": str(B)}
    answer = client.get("/api/events", params=params).json()["events"]
    rows = list(csv.DictReader(io.StringIO(
        client.get("/api/events", params={**params, "format": "csv"}).text, newline="")))
    assert [r["id"] for r in rows] == [e["id"] for e in answer]
    voided = next(r for r in rows if r["id"] == first["id"])
    assert voided["retracted"] == answer[0]["retracted_by"] == rows[1]["id"]
    assert rows[1]["retracted"] == ""
    left_out = client.get("/api/events", params={"format": "csv"}).text
    assert first["id"] not in left_out
