"""The page in a real browser (Chromium via playwright) against a real uvicorn server."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import ARTIFACTS, Tab, append, statement, unavailable

pytestmark = pytest.mark.browser

POL_OWN_TROOPS = 'td[data-actor="pol"][data-topic="own-troops"]'


def open_page(tab: Callable[[], Tab], url: str) -> Tab:
    opened = tab()
    opened.page.goto(url)
    # app.js has run once the live stream is connected.
    opened.page.wait_for_selector('#live-status[data-state="live"]')
    return opened


def set_date(t: Tab, iso: str) -> None:
    t.page.fill("#as_of", iso)
    t.page.dispatch_event("#as_of", "change")


def test_the_page_loads_cleanly_and_only_talks_to_its_own_server(
        server: str, tab: Callable[[], Tab]) -> None:
    t = open_page(tab, f"{server}/?as_of=2025-03-15")
    t.page.wait_for_load_state("networkidle")
    assert t.console_errors == []
    hosts = {urlsplit(url).hostname for url in t.requests if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, t.requests
    assert any(url.endswith("/favicon.ico") for url in t.requests) or t.page.evaluate(
        "document.querySelector('link[rel=icon]').href").endswith("/favicon.ico")
    ARTIFACTS.mkdir(exist_ok=True)
    t.page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=False)
    assert (ARTIFACTS / "timeline.png").stat().st_size > 10_000


def test_changing_the_date_reprojects_the_matrix_in_place(server: str,
                                                          tab: Callable[[], Tab]) -> None:
    t = open_page(tab, f"{server}/")
    t.page.evaluate("window.__sameDocument = true")
    set_date(t, "2024-01-01")
    t.page.wait_for_selector(f'{POL_OWN_TROOPS}[data-stance="unknown"]')
    set_date(t, "2025-02-15")
    t.page.wait_for_selector(f'{POL_OWN_TROOPS}[data-stance="opposes"]')
    assert t.page.text_content(f"{POL_OWN_TROOPS} .cell-text") == "opposes"
    assert parse_qs(urlsplit(t.page.url).query)["as_of"] == ["2025-02-15"]
    assert t.page.evaluate("window.__sameDocument") is True  # no reload
    # The slider moves the same date.
    slider = t.page.locator("#as_of_slider")
    assert slider.is_visible()
    slider.focus()
    before = t.page.input_value("#as_of")
    t.page.keyboard.press("ArrowRight")
    assert t.page.input_value("#as_of") > before
    assert t.console_errors == []


def test_a_filter_narrows_the_timeline(server: str, tab: Callable[[], Tab]) -> None:
    t = open_page(tab, f"{server}/")
    everything = t.page.locator("#timeline-marks a.mark").count()
    t.page.select_option("#type", "claim.made")
    t.page.wait_for_url("**type=claim.made**")
    t.page.wait_for_selector('#live-status[data-state="live"]')
    marks = t.page.locator("#timeline-marks a.mark")
    assert 0 < marks.count() < everything
    assert set(marks.evaluate_all("ms => ms.map(m => m.dataset.type)")) == {"claim.made"}
    assert set(t.page.locator("#event-list tr.event").evaluate_all(
        "as => as.map(a => a.dataset.type)")) == {"claim.made"}


def test_a_copied_url_restores_the_view(server: str, tab: Callable[[], Tab]) -> None:
    t = open_page(tab, f"{server}/?actor=gbr")
    set_date(t, "2025-03-15")
    t.page.click('[data-zoom="year"]')
    first = t.page.locator("#timeline-marks a.mark").first
    chosen = first.get_attribute("data-id")
    first.click()
    t.page.wait_for_selector('#details [data-slot="body"]:not([hidden])')
    title = t.page.text_content('#details [data-slot="title"]')
    view_range = t.page.text_content("#view-range")
    stance = t.page.get_attribute('td[data-actor="gbr"][data-topic="troops-in-ukraine"]',
                                  "data-stance")
    url = t.page.url
    query = parse_qs(urlsplit(url).query)
    assert query["event"] == [chosen] and query["as_of"] == ["2025-03-15"]
    assert query["actor"] == ["gbr"] and "span" in query

    again = open_page(tab, url)
    assert again.page.input_value("#as_of") == "2025-03-15"
    assert again.page.input_value("#actor") == "gbr"
    assert again.page.text_content("#view-range") == view_range
    assert again.page.text_content('#details [data-slot="title"]') == title
    assert again.page.get_attribute(f'#timeline-marks a[data-id="{chosen}"]',
                                    "class").split().count("selected") == 1
    assert again.page.get_attribute('td[data-actor="gbr"][data-topic="troops-in-ukraine"]',
                                    "data-stance") == stance


def test_keyboard_zooms_pans_and_selects(server: str, tab: Callable[[], Tab]) -> None:
    t = open_page(tab, f"{server}/")
    t.page.focus("#timeline-viewport")
    start = t.page.get_attribute("#timeline-svg", "data-view-start")
    range_before = t.page.text_content("#view-range")
    t.page.keyboard.press("+")
    zoomed = t.page.text_content("#view-range")
    assert zoomed != range_before
    t.page.keyboard.press("ArrowLeft")
    assert t.page.text_content("#view-range") != zoomed
    t.page.keyboard.press("]")
    t.page.wait_for_selector('#details [data-slot="body"]:not([hidden])')
    assert "event" in parse_qs(urlsplit(t.page.url).query)
    assert start  # the server's own view is where it started
    focused = t.page.evaluate("document.activeElement.id")
    assert focused == "timeline-viewport"


def test_an_appended_event_appears_live(server: str, tab: Callable[[], Tab]) -> None:
    t = open_page(tab, f"{server}/")
    t.page.evaluate("window.__sameDocument = true")
    event = statement("Announced live: a new reassurance plan", actor="fra",
                      occurred="2025-03-10")
    append(server, event)
    t.page.wait_for_selector(f"#event-{event['id']}", timeout=5_000)
    t.page.wait_for_selector(f'#timeline-marks a[data-id="{event["id"]}"]', timeout=5_000)
    assert t.page.text_content(f"#event-{event['id']} a.select-link") == event["data"]["summary"]
    assert t.page.evaluate("window.__sameDocument") is True

    # A new stance re-projects the matrix as well.
    stance = {**statement("x"), "type": "stance.declared",
              "data": {"actor": "est", "topic": "naval-mission", "stance": "opposes",
                       "summary": "Estonia: no naval mission"}, "occurred": "2020-05-05"}
    append(server, stance)
    t.page.wait_for_selector('td[data-actor="est"][data-topic="naval-mission"]'
                             '[data-stance="opposes"]', timeout=5_000)
    assert t.console_errors == []


def test_a_script_in_a_summary_is_shown_as_text(server: str, tab: Callable[[], Tab]) -> None:
    t = open_page(tab, f"{server}/")
    hostile = ('<script>alert("xss")</script><img src=x onerror="alert(1)">'
               '<svg onload="alert(2)">')
    event = statement(hostile, quote="</blockquote><script>alert(3)</script>")
    append(server, event)
    # Added live by app.js ...
    t.page.wait_for_selector(f"#event-{event['id']}", timeout=5_000)
    assert t.page.text_content(f"#event-{event['id']} a.select-link") == hostile
    t.page.click(f"#event-{event['id']} a.select-link")
    t.page.wait_for_selector('#details [data-slot="body"]:not([hidden])')
    assert t.page.text_content('#details [data-slot="title"]') == hostile
    # ... and rendered by the server after a reload.
    t.page.reload()
    t.page.wait_for_selector('#live-status[data-state="live"]')
    assert t.page.text_content(f"#event-{event['id']} a.select-link") == hostile
    assert t.page.locator(f"#event-{event['id']} script, #event-{event['id']} img").count() == 0
    t.page.wait_for_timeout(300)
    assert t.dialogs == []


def test_a_missing_browser_skips_unless_ci_requires_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STANCELINE_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium"):
        unavailable("/usr/bin/chromium does not exist")
    monkeypatch.setenv("STANCELINE_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="STANCELINE_REQUIRE_BROWSER=1"):
        unavailable("/usr/bin/chromium does not exist")


def test_a_live_retraction_strikes_its_mark_through(server: str, tab: Callable[[], Tab]) -> None:
    # Issue 11.5: a retracted event is never left on the timeline as a live mark.
    t = open_page(tab, f"{server}/")
    event = statement("To be retracted: a misread plan", actor="fra", occurred="2025-03-11")
    append(server, event)
    mark = f'#timeline-marks a[data-id="{event["id"]}"]'
    t.page.wait_for_selector(mark, timeout=5_000)
    retraction = {"type": "event.retracted", "data": {"target": event["id"], "reason": "misread"}}
    append(server, retraction)
    t.page.wait_for_selector(f"{mark}.voided line.strike", timeout=5_000)
    assert t.page.text_content(f"{mark} title").startswith("Retracted")
    # A fresh load leaves it out, and with the toggle draws it struck through.
    plain = open_page(tab, f"{server}/")
    assert plain.page.query_selector(mark) is None
    again = open_page(tab, f"{server}/?retracted=show")
    assert again.page.get_attribute(mark, "class").split().count("voided") == 1
    assert again.page.query_selector(f"{mark} line.strike") is not None
    assert t.console_errors == [] and plain.console_errors == [] and again.console_errors == []
