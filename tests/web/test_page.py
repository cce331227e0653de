"""`GET /` rendered on the server: what a reader without JavaScript gets (issue 4)."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from stanceline.web import chart, view
from stanceline.web.view import PageState
from tests.web.conftest import page, statement
from tests.web.html_tree import Node, parse

FRA_TROOPS = {"data_actor": "fra", "data_topic": "troops-in-ukraine"}


def cell(doc: Node, actor: str, topic: str) -> Node:
    return doc.by_id("matrix").find("td", data_actor=actor, data_topic=topic)


def articles(doc: Node) -> list[Node]:
    """The rows of the event table."""
    return doc.by_id("event-list").find_all("tr", class_="event")


def boot(doc: Node) -> dict[str, object]:
    data: dict[str, object] = json.loads(doc.by_id("boot-data").text())
    return data


# -- 1. server rendering, assets -------------------------------------------------------------
def test_page_renders_the_matrix_timeline_and_list_without_javascript(seeded: TestClient
                                                                      ) -> None:
    doc = page(seeded, "/?as_of=2025-02-15")
    table = doc.by_id("matrix")
    assert table.tag == "table"
    assert [th.words() for th in table.find("thead").find_all("th", scope="col")][:2] == [
        "Actor", "A European or Western force in Ukraine after a ceasefire"]
    assert {th.words() for th in table.find_all("th", scope="row")} >= {"France", "Germany"}
    cells = table.find_all("td")
    assert cells and all({"data-actor", "data-topic", "data-stance", "data-certain"}
                         <= set(c.attrs) for c in cells)
    assert cell(doc, "baltic-states", "troops-in-ukraine").get("data-stance") == "conditional"
    assert cell(doc, "deu", "own-troops").get("data-stance") == "opposes"
    # Cells with no stance event at all are filled in, not left out.
    assert cell(doc, "deu", "naval-mission").get("data-stance") == "unknown"
    svg = doc.by_id("timeline-svg")
    assert svg.find_all("a", class_="mark")
    assert len(articles(doc)) == view.LIST_PAGE  # one page of the compact table


def test_stance_is_written_as_text_as_well_as_colour(seeded: TestClient) -> None:
    doc = page(seeded, "/?as_of=2025-02-15")
    for td in doc.by_id("matrix").find_all("td"):
        assert td.find("span", class_="cell-text").words().rstrip("?") == td.get("data-stance")


def test_the_date_changes_the_matrix(seeded: TestClient) -> None:
    before = page(seeded, "/?as_of=2024-01-01")
    after = page(seeded, "/?as_of=2025-02-15")
    assert cell(before, "deu", "own-troops").get("data-stance") == "unknown"
    assert cell(after, "deu", "own-troops").get("data-stance") == "opposes"
    assert before.by_id("as_of").get("value") == "2024-01-01"


def test_uncertain_cells_are_marked_as_the_projection_says(seeded: TestClient) -> None:
    answers = seeded.get("/api/stances", params={"as_of": "2025-03-15"}).json()["stances"]
    uncertain = {(s["actor"], s["topic"]) for s in answers if not s["certain"]}
    assert ("fra", "troops-in-ukraine") in uncertain
    doc = page(seeded, "/?as_of=2025-03-15")
    marked = {(td.get("data-actor"), td.get("data-topic"))
              for td in doc.by_id("matrix").find_all("td", data_certain="false")}
    assert marked == uncertain
    fra = cell(doc, "fra", "troops-in-ukraine")
    assert fra.find("span", class_="cell-text").words() == "unknown?"
    assert "may be" in fra.words()


def test_each_cell_links_to_its_evidence(seeded: TestClient) -> None:
    doc = page(seeded, "/?as_of=2025-02-15")
    pol = cell(doc, "pol", "own-troops")
    link = pol.find("a")
    evidence = pol.get("data-evidence")
    assert evidence and link.get("data-select") == evidence
    assert parse_qs(urlsplit(link.get("href")).query)["event"] == [evidence]
    assert seeded.get(f"/api/events/{evidence}").json()["data"]["actor"] == "pol"
    unknown = cell(doc, "deu", "naval-mission").find("a").get("href")
    assert unknown.startswith("/api/stances?") and "actor=deu" in unknown
    assert seeded.get(unknown).json()["stances"][0]["stance"] == "unknown"


def test_assets_are_served_by_the_service_and_nothing_comes_from_elsewhere(
        seeded: TestClient) -> None:
    response = seeded.get("/")
    doc = parse(response.text)
    scripts = doc.find_all("script")
    sources = [s.get("src") for s in scripts if s.get("src")]
    styles = [link.get("href") for link in doc.find_all("link", rel="stylesheet")]
    assert sources and styles
    for url in [*sources, *styles, doc.find("link", rel="icon").get("href")]:
        assert url.startswith("/"), url
        got = seeded.get(url)
        assert got.status_code == 200, url
    assert seeded.get(sources[0]).headers["content-type"].startswith(("text/javascript",
                                                                      "application/javascript"))
    assert seeded.get(styles[0]).headers["content-type"].startswith("text/css")
    favicon = seeded.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.headers["content-type"] == "image/svg+xml"
    assert favicon.text.lstrip().startswith("<svg")
    for text in (seeded.get(sources[0]).text, seeded.get(styles[0]).text):
        assert not re.search(r"https?://(?!www\.w3\.org/)", text), "an off-machine URL"
    assert not re.search(r"""(src|href)=["']https?://""", response.text)


# -- 2. the timeline ---------------------------------------------------------------------------
def test_timeline_draws_ranges_for_month_and_year_dates_and_points_for_days(
        seeded: TestClient) -> None:
    events = seeded.get("/api/events", params={"limit": 1000}).json()["events"]
    dated = {e["id"]: e for e in events if e["occurred"]}
    doc = page(seeded)
    marks = doc.by_id("timeline-svg").find_all("a", class_="mark")
    earlier = {a.get("data-select") for a in doc.by_id("earlier").find_all("a")}
    # Every dated event is drawn, or listed behind the "earlier" marker, never both.
    assert {m.get("data-id") for m in marks} | earlier == set(dated)
    assert not {m.get("data-id") for m in marks} & earlier
    kinds = {"day": 0, "month": 0, "year": 0}
    for mark in marks:
        event = dated[mark.get("data-id")]
        kinds[event["precision"]] += 1
        if event["occurred"].startswith(".."):
            # An open start is drawn as a point where it is known to have happened by.
            assert "open-start" in mark.get("class")
            assert int(mark.get("data-end")) - int(mark.get("data-start")) == 1
        elif event["precision"] == "day":
            assert not mark.find_all("rect") and mark.find_all("use")
            assert int(mark.get("data-end")) - int(mark.get("data-start")) == 1
        else:
            rect = mark.find("rect")
            assert float(rect.get("width")) > 3
            assert int(mark.get("data-end")) - int(mark.get("data-start")) >= 28
    assert all(kinds.values()), kinds


def test_marks_are_coloured_by_stance_and_shaped_by_type(seeded: TestClient) -> None:
    svg = page(seeded).by_id("timeline-svg")
    for mark in svg.find_all("a", class_="mark"):
        classes = mark.classes()
        if mark.get("data-type") == "stance.declared":
            assert f"k-{mark.get('data-stance')}" in classes
        else:
            assert "k-neutral" in classes
    shapes = {c for m in svg.find_all("a", class_="mark") for c in m.classes()
              if c.startswith("t-")}
    assert {"t-stance", "t-claim", "t-statement", "t-meeting", "t-agreement"} <= shapes
    assert svg.find_all("a", class_="disputed")


def test_lanes_are_grouped_by_kind_of_actor(seeded: TestClient) -> None:
    svg = page(seeded).by_id("timeline-svg")
    groups = [t.words() for t in svg.find_all("text", class_="group-label")]
    assert groups == ["Meetings & agreements", "Countries", "Organisations & groups", "People"]
    lanes = [g.get("data-lane") for g in svg.find_all("g", class_="lane")]
    assert lanes.index("fra") < lanes.index("coalition-of-the-willing") \
        < lanes.index("friedrich-merz")


def test_the_selected_event_is_shown_with_its_dates_quote_source_and_dispute(
        seeded: TestClient) -> None:
    events = seeded.get("/api/events", params={"limit": 1000}).json()["events"]
    disputed = next(e for e in events if e["disputed"] and e["note"]
                    and e["data"].get("speaker"))
    doc = page(seeded, f"/?event={disputed['id']}")
    details = doc.by_id("details")
    assert details.find("div", class_="details-body").get("hidden", "absent") == "absent"
    text = details.words()
    assert disputed["source"]["quote"].split()[0] in text
    assert disputed["source"]["document"] in text
    assert disputed["occurred_start"] in text and disputed["occurred_end"] in text
    assert (disputed["occurred_text"] or disputed["occurred"]) in text
    assert "Yes: " + " ".join(disputed["note"].split()) in text
    speaker = seeded.get(f"/api/actors/{disputed['data']['speaker']}").json()["name"]
    assert speaker in text
    mark = doc.by_id("timeline-svg").find("a", data_id=disputed["id"])
    assert "selected" in mark.classes()


def test_each_listed_event_opens_a_card_with_every_field_without_javascript(
        seeded: TestClient) -> None:
    events = seeded.get("/api/events", params={"limit": 1000}).json()["events"]
    months = {e["id"]: e for e in events if e["precision"] == "month" and e["occurred_text"]}
    row = next(r for r in articles(page(seeded)) if r.get("data-id") in months)
    month = months[row.get("data-id")]
    assert row.tag == "tr"
    link = row.find("a", class_="select-link").get("href")
    card = page(seeded, link).by_id("details")
    text = card.words()
    assert month["occurred_text"] in text
    assert "1 " in text and "\u2013" in text  # the resolved span, start to end
    assert card.find("blockquote").words().startswith(month["source"]["quote"].split()[0])
    assert month["source"]["document"] in text


def test_the_event_list_is_a_compact_table_with_pages(seeded: TestClient) -> None:
    doc = page(seeded)
    table = doc.by_id("event-list").parent
    assert table is not None and table.tag == "table"
    assert [th.words() for th in table.find("thead").find_all("th")] == [
        "Date", "Actor", "Topic", "Stance", "Summary"]
    first = articles(doc)
    assert len(first) == view.LIST_PAGE
    assert all(len(r.find_all("td")) == 5 for r in first)
    following = page(seeded, doc.by_id("more-events").get("href"))
    second = articles(following)
    assert second and {r.get("id") for r in second}.isdisjoint({r.get("id") for r in first})
    back = page(seeded, following.by_id("previous-events").get("href"))
    assert [r.get("id") for r in articles(back)] == [r.get("id") for r in first]


# -- 4. filters and the URL ------------------------------------------------------------------
def test_filters_narrow_the_list_and_the_timeline(seeded: TestClient) -> None:
    everything = page(seeded)
    only_claims = page(seeded, "/?type=claim.made")
    only_fra = page(seeded, "/?actor=fra")
    only_naval = page(seeded, "/?topic=naval-mission")
    assert 0 < len(articles(only_claims)) < len(articles(everything))
    assert {a.get("data-type") for a in articles(only_claims)} == {"claim.made"}
    marks = only_claims.by_id("timeline-svg").find_all("a", class_="mark")
    assert marks and {m.get("data-type") for m in marks} == {"claim.made"}
    assert 0 < len(articles(only_fra)) < len(articles(everything))
    for article in articles(only_fra):
        envelope = seeded.get(f"/api/events/{article.get('data-id')}").json()
        assert "fra" in json.dumps(envelope["data"])
    assert {a.get("data-topic") for a in articles(only_naval)} == {"naval-mission"}
    assert [th.get("data-topic") for th in only_naval.by_id("matrix").find_all(
        "th", scope="col") if th.get("data-topic")] == ["naval-mission"]


def test_the_filter_form_is_a_plain_get_form(seeded: TestClient) -> None:
    form = page(seeded).by_id("view-form")
    assert form.get("method") == "get" and form.get("action") == "/"
    names = {n.get("name") for n in form.iter() if n.tag in ("input", "select") and n.get("name")}
    assert {"as_of", "known_at", "actor", "topic", "type"} <= names
    assert form.find("button", type="submit")


def test_an_alias_in_the_actor_filter_resolves(seeded: TestClient) -> None:
    doc = page(seeded, "/?actor=Kir+Starmer")
    assert doc.by_id("actor").find("option", value="keir-starmer").get("selected", "no") == ""


def test_url_state_round_trips(seeded: TestClient) -> None:
    events = seeded.get("/api/events", params={"type": "stance.declared",
                                               "actor": "fra"}).json()["events"]
    chosen = events[0]["id"]
    url = ("/?as_of=2025-02-15&known_at=2030-01-01&actor=fra&topic=troops-in-ukraine"
           f"&type=stance.declared&event={chosen}&span=2024-06-01..2025-06-30")
    doc = page(seeded, url)
    assert doc.by_id("as_of").get("value") == "2025-02-15"
    assert doc.by_id("known_at").get("value") == "2030-01-01"
    for name, value in (("actor", "fra"), ("topic", "troops-in-ukraine"),
                        ("type", "stance.declared")):
        assert doc.by_id(name).find("option", value=value).get("selected", "no") == ""
    form = doc.by_id("view-form")
    assert form.find("input", name="event").get("value") == chosen
    assert form.find("input", name="span").get("value") == "2024-06-01..2025-06-30"
    svg = doc.by_id("timeline-svg")
    assert (svg.get("data-view-start"), svg.get("data-view-end")) == ("19875", "20270")
    assert "selected" in svg.find("a", data_id=chosen).classes()
    assert doc.by_id("details").find("p", class_="details-title").words()
    # Every link the page makes keeps the state it does not change.
    link = doc.by_id("event-list").find("a", class_="select-link").get("href")
    query = parse_qs(urlsplit(link).query)
    assert query["as_of"] == ["2025-02-15"] and query["actor"] == ["fra"]
    assert query["span"] == ["2024-06-01..2025-06-30"]
    state = boot(doc)
    assert state["as_of"] == "2025-02-15" and state["known_at"] == "2030-01-01"


@pytest.mark.parametrize("state", [
    PageState(),
    PageState(as_of="last February", actor="fra", event="x", span="2024-01-01..2024-12-31"),
    PageState(known_at="2025-01-01T10:00:00Z", topic="naval-mission", type="claim.made",
              after=400, shown=600, rows=40),
])
def test_page_state_survives_its_own_query(state: PageState) -> None:
    query = {k: v[0] for k, v in parse_qs(state.query()[1:]).items()}
    assert PageState.from_query(query) == state


def test_input_that_is_not_understood_is_reported_not_fatal(seeded: TestClient) -> None:
    # An actor that does not exist makes the answer a 404 (issue 11.7), still with the page.
    response = seeded.get("/?as_of=the+twelfth+of+never&actor=nobody-at-all&type=nope"
                          "&span=soon&event=123")
    assert response.status_code == 404
    doc = parse(response.text)
    notices = doc.find("div", class_="notices")
    assert notices.get("role") == "alert"
    text = notices.words()
    for field in ("as_of", "type", "span", "event", "nobody-at-all"):
        assert field in text
    assert doc.by_id("matrix")


@pytest.mark.parametrize("span", ["2025-02-30..2025-03-01", "2025-13-01..2025-14-01"])
def test_a_span_with_an_impossible_date_shows_the_page_with_a_notice(seeded: TestClient,
                                                                     span: str) -> None:
    # The date parser raises its own InvalidDate (not ValueError): it once escaped as a 422.
    doc = page(seeded, f"/?span={span}")
    notices = doc.find("div", class_="notices")
    assert notices.get("role") == "alert"
    assert span in notices.words()
    assert doc.by_id("timeline-svg") and doc.by_id("matrix")


# -- 5. the claims chart ---------------------------------------------------------------------
def test_claims_chart_draws_every_claimed_number_with_its_speaker(seeded: TestClient) -> None:
    claims = seeded.get("/api/claims", params={"subject": "force-size"}).json()["claims"]
    assert claims
    svg = page(seeded).by_id("claims-svg")
    assert svg.get("role") == "img" and svg.find("title").words()
    drawn = svg.find_all("a", class_="claim")
    assert {a.get("data-select") for a in drawn} == {c["id"] for c in claims}
    ranges = [c for c in claims if c["value"] is None]
    assert ranges and len(svg.find_all("line", class_="range")) == len(ranges)
    assert len(svg.find_all("circle", class_="value")) == len(claims) - len(ranges)
    labels = " ".join(t.words() for t in svg.find_all("text", class_="claim-label"))
    assert "Volodymyr Zelenskyy: at a minimum 200,000" in labels
    # The qualifiers are part of the number.
    assert "The West (unnamed Western officials): fewer than 30,000" in labels
    titles = [t.words() for t in svg.find_all("text", class_="axis-title")]
    assert any("Number proposed" in t for t in titles) and any("When" in t for t in titles)
    assert any(t.words() == "200,000" for t in svg.find_all("text", class_="tick-label"))


def test_claims_after_the_as_of_date_are_faded_not_dropped(seeded: TestClient) -> None:
    svg = page(seeded, "/?as_of=2025-02-01").by_id("claims-svg")
    drawn = svg.find_all("a", class_="claim")
    faded = [a for a in drawn if "future" in a.classes()]
    assert 0 < len(faded) < len(drawn)


# -- 7. safety -------------------------------------------------------------------------------
XSS = "<script>alert(1)</script>"


def test_user_written_strings_are_escaped(fresh: TestClient) -> None:
    bad_actor = {"type": "actor.registered",
                 "data": {"actor": "evil", "kind": "person",
                          "name": "</script><script>alert(3)</script>"}}
    fresh.post("/api/events", json={"events": [bad_actor]}).raise_for_status()
    event = statement(XSS, actor="evil", quote='"><img src=x onerror=alert(2)>',
                      note="</textarea><b>bold</b>", disputed=True)
    event["source"]["url"] = "javascript:alert(4)"
    event["source"]["publisher"] = "<i>pub</i>"
    fresh.post("/api/events", json={"events": [event]}).raise_for_status()
    response = fresh.get(f"/?event={event['id']}")
    html = response.text
    assert XSS not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html
    doc = parse(html)
    article = doc.by_id(f"event-{event['id']}")
    assert article.find("a", class_="select-link").words() == XSS
    assert not article.find_all("script") and not article.find_all("img")
    # The JSON block: "</script>" inside a string must not end the element.
    scripts = doc.find_all("script")
    # The page's two scripts (app.js, entry.js: the form) and the JSON block; nothing inline.
    assert sorted((s.get("src") or "").split("?")[0] for s in scripts) == [
        "", "/static/app.js", "/static/entry.js"]
    block = doc.by_id("boot-data")
    assert block.get("type") == "application/json"
    assert "\\u003c/script\\u003e" in block.text()
    assert json.loads(block.text())["names"]["evil"] == "</script><script>alert(3)</script>"


def test_the_page_has_a_strict_content_security_policy(seeded: TestClient) -> None:
    response = seeded.get("/")
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    doc = parse(response.text)
    # Nothing inline for the policy to block: no script bodies, no style attributes or
    # elements, no event-handler attributes.
    for script in doc.find_all("script"):
        assert script.get("src") or script.get("type") == "application/json"
    assert not doc.find_all("style")
    for node in doc.iter():
        assert "style" not in node.attrs, node.tag
        assert not any(name.startswith("on") for name in node.attrs), node.attrs


# -- 8. accessibility ------------------------------------------------------------------------
def test_document_structure_is_accessible(seeded: TestClient) -> None:
    doc = page(seeded)
    html = doc.find("html")
    assert html.get("lang") == "en"
    assert len(doc.find_all("main")) == 1
    levels = [int(n.tag[1]) for n in doc.iter() if re.fullmatch(r"h[1-6]", n.tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    for svg_id in ("timeline-svg", "claims-svg"):
        svg = doc.by_id(svg_id)
        assert svg.get("role") == "img"
        labelled = svg.get("aria-labelledby").split()
        assert doc.by_id(labelled[0]).tag == "title" and doc.by_id(labelled[0]).words()
    for control in doc.by_id("view-form").iter():
        if control.tag in ("select",) or (control.tag == "input"
                                           and control.get("type") != "hidden"):
            assert doc.find("label", for_=control.get("id")), control.attrs
    viewport = doc.by_id("timeline-viewport")
    assert viewport.get("tabindex") == "0" and viewport.get("aria-label")
    toolbar = doc.find("div", role="toolbar")
    assert {a.get("data-zoom") for a in toolbar.find_all("a")} == {
        "year", "month", "fit", "in", "out", "earlier", "later"}
    assert all(a.get("href") for a in toolbar.find_all("a"))  # keyboard-reachable links


def test_zoom_controls_work_without_javascript(seeded: TestClient) -> None:
    doc = page(seeded, "/?span=2025-01-01..2025-12-31")
    toolbar = doc.find("div", role="toolbar")
    year = toolbar.find("a", data_zoom="year").get("href")
    later = toolbar.find("a", data_zoom="later").get("href")
    zoomed = page(seeded, year).by_id("timeline-svg")
    span = int(zoomed.get("data-view-end")) - int(zoomed.get("data-view-start"))
    assert span == 366
    moved = page(seeded, later).by_id("timeline-svg")
    assert int(moved.get("data-view-start")) > 20089  # 2025-01-01


def test_the_script_never_writes_markup_from_data() -> None:
    script = (Path(__file__).resolve().parents[2] / "src/stanceline/web/static/app.js"
              ).read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function"):
        assert sink not in script, sink
    assert "textContent" in script and "history.replaceState" in script


def test_reported_by_narrows_the_matrix_to_what_had_been_published(seeded: TestClient) -> None:
    now = page(seeded, "/?as_of=2026-01-10")
    then = page(seeded, "/?as_of=2026-01-10&reported_by=2025-12-31")
    assert cell(now, "gbr", "troops-in-ukraine").get("data-stance") == "conditional"
    # The January 2026 hubs were published in January 2026: not yet reported at 2025's end.
    assert cell(then, "gbr", "troops-in-ukraine").get("data-stance") == "supports"
    assert then.by_id("reported_by").get("value") == "2025-12-31"
    assert boot(then)["reported_by"] == "2025-12-31"
    bad = page(seeded, "/?reported_by=blorp")
    assert "blorp" in bad.by_id("matrix-section").words() or "blorp" in bad.words()


# -- issue 12: the story, the earlier marker, the stance panel --------------------------------
def test_fit_the_default_window_and_the_slider_span_the_story(seeded: TestClient) -> None:
    events = seeded.get("/api/events", params={"limit": 1000}).json()["events"]
    story = [e for e in events if e["type"] in ("stance.declared", "claim.made")
             and e["occurred_end"]]
    first = min(e["occurred_start"] or e["occurred_end"] for e in story)
    last = max(e["occurred_end"] for e in events if e["occurred_end"])
    doc = page(seeded, "/?as_of=2025-06-01")
    svg = doc.by_id("timeline-svg")
    start, end = int(svg.get("data-data-start")), int(svg.get("data-data-end"))
    day = chart.day_number
    assert start <= day(date.fromisoformat(first)) < start + 60  # the story, not 1999
    assert end >= day(date.fromisoformat(last)) + 1
    assert (int(svg.get("data-view-start")), int(svg.get("data-view-end"))) == (start, end)
    fit = doc.find("div", role="toolbar").find("a", data_zoom="fit").get("href")
    assert parse_qs(urlsplit(fit).query)["span"][0].startswith(
        chart.from_day_number(start).isoformat())
    # Macron's February 2024 remark, where the story starts, is in the opening view.
    assert first[:7] <= "2024-02"
    slider = doc.by_id("as_of_slider")
    assert slider.get("data-start") >= first[:4] and slider.get("data-start") <= first
    # The background (KFOR 1999, Crimea 2014) sits behind one "earlier" marker.
    earlier = doc.by_id("earlier")
    listed = earlier.find_all("a", data_select=True)
    assert listed and all(e["occurred_end"] < first for e in events
                          if e["id"] in {a.get("data-select") for a in listed})
    assert "1999" in earlier.words()
    assert svg.find("a", class_="earlier-mark").get("href") == "#earlier"


def test_with_all_topics_each_lane_is_an_actor_and_a_topic(seeded: TestClient) -> None:
    svg = page(seeded).by_id("timeline-svg")
    lanes = {g.get("data-key"): g for g in svg.find_all("g", class_="lane")}
    for mark in svg.find_all("a", class_="mark"):
        lane = lanes[mark.get("data-lane")]
        assert lane.get("data-topic") == (mark.get("data-topic") if lane.get("data-lane")
                                          else "")
    fra = [g for g in lanes.values() if g.get("data-lane") == "fra"]
    assert len(fra) > 1 and len({g.get("data-topic") for g in fra}) == len(fra)
    assert "air policing" in " ".join(g.words() for g in fra)
    # One topic chosen: a lane per actor again.
    only = page(seeded, "/?topic=troops-in-ukraine").by_id("timeline-svg")
    assert {g.get("data-topic") for g in only.find_all("g", class_="lane")} == {""}


def test_zoom_links_keep_the_windows_centre(seeded: TestClient) -> None:
    doc = page(seeded, "/?span=2024-06-01..2025-06-30&event=x")
    toolbar = doc.find("div", role="toolbar")
    centre = (19875 + 20270) / 2
    for name in ("in", "out"):
        zoomed = page(seeded, toolbar.find("a", data_zoom=name).get("href")).by_id(
            "timeline-svg")
        middle = (int(zoomed.get("data-view-start")) + int(zoomed.get("data-view-end"))) / 2
        assert abs(middle - centre) <= 1, name


def test_the_stance_panel_shows_actors_by_month_from_the_service(seeded: TestClient) -> None:
    doc = page(seeded)
    row_link = doc.by_id("matrix").find("a", class_="row-panel").get("href")
    assert row_link.startswith("/panel?topic=")
    headers = doc.by_id("matrix").find_all("a", class_="col-panel")
    assert {parse_qs(urlsplit(a.get("href")).query)["topic"][0] for a in headers} >= {
        "troops-in-ukraine", "own-troops"}
    panel = page(seeded, "/panel?topic=own-troops")
    svg = panel.by_id("panel-svg")
    assert svg.get("role") == "img"
    assert svg.find("pattern", id="hatch")
    rows = [g.get("data-actor") for g in svg.find_all("g", class_="panel-row")]
    assert "pol" in rows and "deu" in rows
    cells = svg.find_all("a", class_="panel-cell")
    months = len(cells) // len(rows)
    assert months >= 12 and len(cells) == months * len(rows)
    # Each cell is the service's answer as of the month's end.
    for a in cells[:: max(1, len(cells) // 25)]:
        query = parse_qs(urlsplit(a.get("href")).query)
        answer = seeded.get("/api/stances", params={
            "actor": query["actor"][0], "topic": "own-troops",
            "as_of": query["as_of"][0]}).json()["stances"][0]
        assert a.get("data-stance") == answer["stance"]
        assert a.get("data-certain") == ("true" if answer["certain"] else "false")
        hatched = a.find_all("rect", class_="hatched")
        assert bool(hatched) == (not answer["certain"])
        if hatched:
            assert hatched[0].get("fill") == "url(#hatch)"


def test_uncertain_months_are_hatched(seeded: TestClient) -> None:
    svg = page(seeded, "/panel?topic=troops-in-ukraine").by_id("panel-svg")
    uncertain = svg.find_all("a", class_="panel-cell", data_certain="false")
    assert uncertain and all(a.find_all("rect", class_="hatched") for a in uncertain)


def test_the_panel_is_escaped_and_strict(seeded: TestClient) -> None:
    response = seeded.get("/panel?topic=%3Cscript%3Ealert(1)%3C/script%3E")
    assert response.status_code == 404  # no such topic: the page says so, with the default
    assert "<script>alert(1)" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    doc = parse(response.text)
    assert doc.find("div", class_="notices")
    for node in doc.iter():
        assert "style" not in node.attrs and not any(n.startswith("on") for n in node.attrs)
