"""The page's "Add an event" form (entry.js) in Chromium, and its no-JavaScript fallback."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Tab, page, running, seeded_settings

QUOTE = "Poland has ruled out sending troops"
DOCUMENT = "004_c95673309f0d515a"


def open_form(tab: Callable[[], Tab], url: str) -> Tab:
    t = tab()
    t.page.goto(url)
    t.page.wait_for_selector('#live-status[data-state="live"]')
    t.page.wait_for_selector('#entry-form[data-directory="loaded"]')
    return t


def fill_valid(t: Tab, summary: str) -> None:
    p = t.page
    p.fill("#entry-actor", "Poland")  # a name: the form resolves it to the id
    p.fill("#entry-topic", "own-troops")
    p.select_option("#entry-stance", "opposes")
    p.fill("#entry-summary", summary)
    p.fill("#entry-date", "3 March 2025")
    p.fill("#entry-document", DOCUMENT)
    p.fill("#entry-quote", QUOTE)


def real_errors(t: Tab) -> list[str]:
    # A refused request is logged by Chromium as a failed resource load: expected here.
    return [e for e in t.console_errors if "Failed to load resource" not in e]


def preview(t: Tab) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(t.page.text_content("#entry-preview") or "{}")
    return value


@pytest.mark.browser
def test_a_valid_event_lands_and_shows_live(server: str, tab: Callable[[], Tab]) -> None:
    t = open_form(tab, f"{server}/")
    assert t.page.is_hidden("#entry-nojs")
    summary = "Poland restates: no Polish troops (entered on the page)"
    fill_valid(t, summary)
    # The date shows the span it resolves to as it is typed.
    t.page.wait_for_selector('#entry-date-resolved[data-state="ok"]')
    assert "2025-03-03" in (t.page.text_content("#entry-date-resolved") or "")
    t.page.wait_for_function(
        "document.getElementById('entry-preview').textContent.includes('\"pol\"')")
    stored = preview(t)["events"][0]
    assert stored["data"] == {"actor": "pol", "topic": "own-troops", "stance": "opposes",
                              "summary": summary}
    assert stored["occurred_text"] == "3 March 2025"
    assert stored["source"] == {"document": DOCUMENT, "quote": QUOTE}
    event_id = stored["id"]

    t.page.click("#entry-submit")
    t.page.wait_for_selector('#entry-status[data-state="ok"]')
    assert "Appended at position" in (t.page.text_content("#entry-status") or "")
    # It appears through the page's live updates, without a reload.
    t.page.wait_for_selector(f"#event-{event_id}", timeout=5_000)
    # The event list is a compact table: the new row names its actor and stance.
    row = t.page.text_content(f"#event-{event_id}") or ""
    assert "Poland" in row, row
    assert t.page.get_attribute(f"#event-{event_id}", "data-stance") == "opposes"
    landed = httpx.get(f"{server}/api/events/{event_id}").json()
    assert landed["occurred_start"] == "2025-03-03" and landed["data"]["actor"] == "pol"
    assert landed["source"]["quote"] == QUOTE
    # A new draft gets a new id (a retry of the same draft would be idempotent).
    assert preview(t)["events"][0]["id"] != event_id
    assert t.page.evaluate("document.cookie") == ""
    assert real_errors(t) == []


@pytest.mark.browser
def test_an_invalid_field_is_refused_in_place(server: str, tab: Callable[[], Tab]) -> None:
    t = open_form(tab, f"{server}/")
    fill_valid(t, "Not to be stored")
    t.page.fill("#entry-date", "recently")
    # Said as it is typed ...
    t.page.wait_for_selector('#entry-date-resolved[data-state="error"]')
    assert "too vague" in (t.page.text_content("#entry-date-resolved") or "")
    t.page.select_option("#entry-stance", "conditional")
    t.page.fill("#entry-conditions li .condition-on", "us-backstop")  # no words: invalid
    head = httpx.get(f"{server}/api/verify").json()["events"]
    t.page.click("#entry-submit")
    # Refused by the service, the message beside the condition (the model is checked first).
    t.page.wait_for_selector('#entry-status[data-state="error"]')
    condition_error = t.page.locator('[data-error-for="data.conditions.0"]')
    assert condition_error.is_visible(), t.page.text_content("#entry-status")
    assert "text" in (condition_error.text_content() or "")
    assert httpx.get(f"{server}/api/verify").json()["events"] == head

    # With the condition's words given, the date is what the service refuses, beside it.
    t.page.fill("#entry-conditions li .condition-text", "a US backstop")
    t.page.click("#entry-submit")
    t.page.wait_for_selector('[data-error-for="occurred"]:not([hidden])')
    date_error = t.page.locator('[data-error-for="occurred"]')
    assert "too vague" in (date_error.text_content() or "")
    assert t.page.get_attribute("#entry-date", "aria-invalid") == "true"
    assert t.page.locator('[data-error-for="data.conditions.0"]').is_hidden()
    assert httpx.get(f"{server}/api/verify").json()["events"] == head
    assert real_errors(t) == []


@pytest.mark.browser
def test_a_bad_quote_is_refused_in_place(server: str, tab: Callable[[], Tab]) -> None:
    t = open_form(tab, f"{server}/")
    if t.page.get_attribute("#entry-form", "data-documents") != "yes":
        pytest.skip("this service has no registered documents to check quotes against")
    fill_valid(t, "A misquote")
    t.page.fill("#entry-quote", "Poland will send 50,000 troops tomorrow")
    t.page.wait_for_selector('#entry-quote-check[data-state="bad"]')
    head = httpx.get(f"{server}/api/verify").json()["events"]
    t.page.click("#entry-submit")
    t.page.wait_for_selector('#entry-status[data-state="error"]')
    quote_error = t.page.locator('[data-error-for="source.quote"]')
    assert quote_error.is_visible(), t.page.text_content("#entry-status")
    assert httpx.get(f"{server}/api/verify").json()["events"] == head
    # Put right, the check says so as it is typed.
    t.page.fill("#entry-quote", QUOTE)
    t.page.wait_for_selector('#entry-quote-check[data-state="ok"]')
    assert real_errors(t) == []


@pytest.mark.browser
def test_the_token_is_kept_for_the_tab_only(browser: Any) -> None:
    with tempfile.TemporaryDirectory() as folder, \
            running(seeded_settings(Path(folder), api_tokens="s3cret")) as base:
        context = browser.new_context()
        try:
            p = context.new_page()
            p.goto(f"{base}/")
            p.wait_for_selector('#entry-form[data-directory="loaded"]')
            p.fill("#entry-actor", "pol")
            p.fill("#entry-topic", "own-troops")
            p.fill("#entry-date", "2025-03-04")
            p.fill("#entry-document", DOCUMENT)
            p.fill("#entry-quote", QUOTE)
            p.click("#entry-submit")
            p.wait_for_selector('[data-error-for="token"]:not([hidden])')
            p.fill("#entry-token", "s3cret")
            p.click("#entry-submit")
            p.wait_for_selector('#entry-status[data-state="ok"], #entry-status[data-state="error"]')
            assert p.get_attribute("#entry-status", "data-state") == "ok", \
                p.text_content("#entry-status")
            assert p.evaluate("sessionStorage.getItem('stanceline.token')") == "s3cret"
            assert p.evaluate("localStorage.length") == 0
            assert context.cookies() == []
            # The same tab after a reload keeps it; a new tab does not have it.
            p.reload()
            p.wait_for_selector('#entry-form[data-directory="loaded"]')
            assert p.input_value("#entry-token") == "s3cret"
            other = context.new_page()
            other.goto(f"{base}/")
            other.wait_for_selector('#entry-form[data-directory="loaded"]')
            assert other.input_value("#entry-token") == ""
            recorded = httpx.get(f"{base}/api/events", params={"actor": "pol"}).json()
            assert len(recorded["events"]) == 3
        finally:
            context.close()


def test_without_javascript_the_form_gives_way_to_a_note(seeded: TestClient) -> None:
    html = seeded.get("/").text
    root = page(seeded)
    assert root is not None
    assert 'id="entry-form"' in html and "novalidate hidden" in html
    assert 'id="entry-nojs"' in html and "POST /api/events" in html and 'href="/docs"' in html
    assert '<script src="/static/entry.js' in html
    # The stance values come from the payload model.
    for value in ("supports", "opposes", "conditional", "undecided"):
        assert f'<option value="{value}">' in html
    assert seeded.get("/static/entry.js").status_code == 200
    assert seeded.get("/static/entry.css").status_code == 200
