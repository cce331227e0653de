"""The page at phone and desktop widths in Chromium: readable text, labels that do not collide,
the selected event's card in view (issue 12, points 6 and 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, Tab, append, statement

pytestmark = pytest.mark.browser

WIDTHS = (400, 1400)

# Every rendered piece of text with its effective size in CSS px: an SVG's text is scaled by
# the ratio of the drawn width to its viewBox width.
TEXT_SIZES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    const unseen = "script, style, title, desc, option, .visually-hidden, .symbol-defs";
    if (!el || el.closest(unseen)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
    if (!rects.length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || Number(style.opacity) === 0) continue;
    let size = parseFloat(style.fontSize);
    const svg = el.closest("svg");
    if (svg && svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
      size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    }
    out.push({ text: node.textContent.trim().slice(0, 40), size: size,
               where: (el.id || el.getAttribute("class") || el.tagName) });
  }
  return out;
}"""

TICK_BOXES = """(selector) => Array.from(document.querySelectorAll(selector + " .tick-label"))
  .map((t) => t.getBoundingClientRect())
  .filter((r) => r.width > 0)
  .map((r) => [r.left, r.top, r.right, r.bottom])"""


def opened(tab: Callable[[], Tab], url: str, width: int) -> Tab:
    t = tab()
    t.page.set_viewport_size({"width": width, "height": 900})
    t.page.goto(url)
    t.page.wait_for_selector('#live-status[data-state="live"]')
    return t


def overlapping(boxes: list[list[float]]) -> list[tuple[list[float], list[float]]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5:
                found.append((a, b))
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_no_text_is_smaller_than_11_px(server: str, tab: Callable[[], Tab], width: int) -> None:
    t = opened(tab, f"{server}/?as_of=2025-03-15", width)
    sizes: list[dict[str, Any]] = t.page.evaluate(TEXT_SIZES)
    svg_text = [s for s in sizes if "tick-label" in s["where"] or "lane-label" in s["where"]]
    assert len(sizes) > 200 and svg_text  # it did measure the page, SVG included
    small = [s for s in sizes if s["size"] < 10.95]
    assert small == [], small[:10]
    ARTIFACTS.mkdir(exist_ok=True)
    t.page.screenshot(path=str(ARTIFACTS / f"page-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_axis_labels_do_not_overlap(server: str, tab: Callable[[], Tab], width: int) -> None:
    for url in ("/", "/?span=2024-01-01..2025-12-31", "/?span=2025-01-01..2025-03-31"):
        t = opened(tab, f"{server}{url}", width)
        for chart in ("#timeline-svg", "#claims-svg"):
            boxes = t.page.evaluate(TICK_BOXES, chart)
            assert len(boxes) >= 2, (url, chart)
            assert overlapping(boxes) == [], (url, chart)
        # Zooming re-draws the axis in the browser: it must not collide either.
        t.page.click('[data-zoom="in"]')
        assert overlapping(t.page.evaluate(TICK_BOXES, "#timeline-svg")) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_controls_are_reachable_and_the_page_does_not_scroll_sideways(
        server: str, tab: Callable[[], Tab], width: int) -> None:
    t = opened(tab, f"{server}/", width)
    assert t.page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ("#as_of", "#as_of_slider", "#actor", "#topic", '[data-zoom="fit"]',
                     '[data-zoom="in"]', '[data-zoom="later"]', "#more-events"):
        box = t.page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, \
            selector
        assert box["height"] >= 20, selector


@pytest.mark.parametrize("width", WIDTHS)
def test_the_selected_events_card_opens_in_view(server: str, tab: Callable[[], Tab],
                                                width: int) -> None:
    t = opened(tab, f"{server}/", width)
    mark = t.page.locator("#timeline-marks a.mark.t-stance:not(.is-range)").nth(8)
    mark.scroll_into_view_if_needed()
    mark.click()
    t.page.wait_for_selector('#details [data-slot="body"]:not([hidden])')
    card = t.page.locator("#details").bounding_box()
    spot = mark.bounding_box()
    assert card is not None and spot is not None
    height = t.page.evaluate("window.innerHeight")
    assert card["y"] < height and card["y"] + card["height"] > 0  # on screen, not below it
    if width >= 1150:
        assert card["x"] > spot["x"]  # beside the timeline, to the right
        assert card["y"] < spot["y"] + 600
    # A row of the list opens the same card, in view, without losing the list.
    row = t.page.locator("#event-list tr.event").nth(20)
    row.locator("a.select-link").scroll_into_view_if_needed()
    before = t.page.evaluate("window.scrollY")
    row.locator("a.select-link").click()
    t.page.wait_for_function(
        "id => document.querySelector('#details [data-slot=title]').textContent.length > 0"
        " && new URL(location.href).searchParams.get('event') === id",
        arg=row.get_attribute("data-id"))
    card = t.page.locator("#details").bounding_box()
    assert card is not None and card["y"] < height and card["y"] + card["height"] > 0
    assert abs(t.page.evaluate("window.scrollY") - before) < 5
    ARTIFACTS.mkdir(exist_ok=True)
    t.page.screenshot(path=str(ARTIFACTS / f"card-{width}.png"))
    t.page.keyboard.press("Escape")
    assert t.console_errors == []


def test_zoom_keeps_the_windows_centre(server: str, tab: Callable[[], Tab]) -> None:
    t = opened(tab, f"{server}/?span=2024-06-01..2025-06-30", 1400)

    def centre() -> float:
        start = t.page.evaluate("new URL(location.href).searchParams.get('span')")
        return float(t.page.evaluate("""s => { const [a, b] = s.split('..');
            return (Date.parse(a) + Date.parse(b)) / 2 / 86400000; }""", start))

    t.page.click('[data-zoom="in"]')
    first = centre()
    t.page.click('[data-zoom="in"]')
    assert abs(centre() - first) <= 1
    t.page.click('[data-zoom="out"]')
    assert abs(centre() - first) <= 1


def test_the_earlier_marker_opens_the_background(server: str, tab: Callable[[], Tab]) -> None:
    t = opened(tab, f"{server}/", 1400)
    assert t.page.locator("#earlier").get_attribute("open") is None
    t.page.click(".earlier-mark")
    assert t.page.locator("#earlier").get_attribute("open") is not None
    assert t.page.locator("#earlier a[data-select]").first.is_visible()


def test_the_count_and_the_claims_chart_follow_the_log_live(server: str,
                                                             tab: Callable[[], Tab]) -> None:
    t = opened(tab, f"{server}/", 1400)
    t.page.evaluate("window.__sameDocument = true")
    claim = {**statement("A live figure"), "type": "claim.made", "occurred": "2025-04-01",
             "data": {"actor": "fra", "subject": "force-size", "value": 12345,
                      "unit": "troops", "qualifier": "up to", "topic": "troops-in-ukraine",
                      "summary": "A live figure"}}
    appended = append(server, claim)
    t.page.wait_for_selector(f'#claims-svg a.claim[data-select="{claim["id"]}"]',
                             timeout=5_000)
    assert "up to 12,345" in t.page.text_content(f'#claims-svg a[data-select="{claim["id"]}"]')
    head = appended[-1]["position"]
    t.page.wait_for_function(
        "n => document.getElementById('log-count').textContent.replace(/,/g, '') == n",
        arg=str(head))
    assert t.page.evaluate("window.__sameDocument") is True
    assert t.console_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_stance_panel_reads_at_every_width(server: str, tab: Callable[[], Tab],
                                               width: int) -> None:
    t = tab()
    t.page.set_viewport_size({"width": width, "height": 900})
    t.page.goto(f"{server}/panel?topic=troops-in-ukraine")
    sizes: list[dict[str, Any]] = t.page.evaluate(TEXT_SIZES)
    assert any("lane-label" in s["where"] for s in sizes)
    assert [s for s in sizes if s["size"] < 10.95] == []
    boxes = t.page.evaluate(TICK_BOXES, "#panel-svg")
    assert len(boxes) >= 2 and overlapping(boxes) == []
    assert t.page.evaluate("document.documentElement.scrollWidth") <= width
    assert t.console_errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    t.page.screenshot(path=str(ARTIFACTS / f"panel-{width}.png"))


def test_without_javascript_a_phone_still_reads_the_page(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 400, "height": 900},
                                  java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{server}/?event=x")
        sizes: list[dict[str, Any]] = page.evaluate(TEXT_SIZES)
        assert [s for s in sizes if s["size"] < 10.95] == []
        for chart in ("#timeline-svg", "#claims-svg"):
            assert overlapping(page.evaluate(TICK_BOXES, chart)) == []
        # The card of a chosen event is on the page, and the list's pages are links.
        first = page.locator("#event-list a.select-link").first.get_attribute("href")
        assert first
        page.goto(f"{server}/{first}")
        assert page.locator('#details [data-slot="body"]').is_visible()
        assert page.locator("#more-events").get_attribute("href")
    finally:
        context.close()
