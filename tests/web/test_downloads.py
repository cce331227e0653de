"""The page's downloads carry its filters (issue 12.1): plain links, no JavaScript needed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from stanceline.config import Settings
from tests.web.conftest import Tab, page
from tests.web.test_browser import open_page, set_date

T = "troops-in-ukraine"
PAGE_SIZE = str(Settings().max_page)


def link(client: TestClient, url: str, ident: str) -> tuple[str, dict[str, str]]:
    """A download link's href on the page at `url`, and its query (one value per name)."""
    href = page(client, url).by_id(ident).get("href")
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc, href  # same origin, always
    query = parse_qs(parts.query)
    assert all(len(v) == 1 for v in query.values()), href
    return href, {k: v[0] for k, v in query.items()}


def rows(client: TestClient, href: str) -> list[dict[str, str]]:
    response = client.get(href)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text)))


def as_json(client: TestClient, href: str) -> Any:
    parts = urlsplit(href)
    query = [(k, "json" if k == "format" else v) for k, v in parse_qsl(parts.query)]
    response = client.get(f"{parts.path}?{urlencode(query)}")
    assert response.status_code == 200, response.text
    return response.json()


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_without_filters_the_links_download_everything(seeded: TestClient) -> None:
    assert link(seeded, "/", "download-events")[1] == {"limit": PAGE_SIZE, "format": "csv"}
    assert link(seeded, "/", "download-stances")[1] == {"format": "csv"}
    assert link(seeded, "/", "download-timelinejs")[1] == {}


def test_the_links_carry_the_pages_filters(seeded: TestClient) -> None:
    url = ("/?" + urlencode({"actor": "France", "topic": T, "type": "stance.declared",
                             "as_of": "2025-03", "known_at": "2030-01-01T00:00:00+00:00",
                             "reported_by": "2026-01-31", "span": "2025-01-01..2025-06-01"}))
    # Names resolve as the page resolves them; a period means its last day, as on the page.
    common = {"actor": "fra", "topic": T, "known_at": "2030-01-01T00:00:00+00:00"}
    assert link(seeded, url, "download-events")[1] == {
        **common, "type": "stance.declared", "limit": PAGE_SIZE, "format": "csv"}
    assert link(seeded, url, "download-stances")[1] == {
        **common, "as_of": "2025-03-31", "reported_by": "2026-01-31", "format": "csv"}
    assert link(seeded, url, "download-timelinejs")[1] == {**common, "type": "stance.declared"}


def test_the_hrefs_are_escaped_in_the_html(seeded: TestClient) -> None:
    html = seeded.get("/?" + urlencode({"topic": T, "known_at": "2030-01-01T00:00:00+00:00"})
                      ).text
    assert (f'href="/api/stances?topic={T}&amp;known_at=2030-01-01T00%3A00%3A00%2B00%3A00'
            '&amp;format=csv"') in html


def test_a_filter_the_page_refuses_is_not_downloaded(seeded: TestClient) -> None:
    doc = page(seeded, "/?as_of=%3Cnot+a+date%3E")
    assert parse_qs(urlsplit(doc.by_id("download-stances").get("href")).query) == {
        "format": ["csv"]}


@pytest.mark.parametrize("query", [
    {"topic": T, "as_of": "2025-03-15"},
    {"actor": "gbr", "as_of": "2026-01-10", "known_at": "2030-01-01"},
    {"topic": "own-troops", "reported_by": "2025-02"},
])
def test_the_matrix_csv_is_the_json_answer_for_the_same_filters(
        seeded: TestClient, query: dict[str, str]) -> None:
    href, _ = link(seeded, "/?" + urlencode(query), "download-stances")
    found = rows(seeded, href)
    expected = as_json(seeded, href)["stances"]
    assert found, "the filters should match stances"
    columns = ("actor", "topic", "stance", "since", "certain")
    assert [tuple(r[c] for c in columns) for r in found] == [
        tuple(cell(s[c]) for c in columns) for s in expected]


@pytest.mark.parametrize("query", [
    {"topic": T}, {"actor": "fra", "type": "stance.declared"},
    {"actor": "gbr", "known_at": "2030-01-01"},
])
def test_the_log_csv_is_the_json_answer_for_the_same_filters(
        seeded: TestClient, query: dict[str, str]) -> None:
    href, _ = link(seeded, "/?" + urlencode(query), "download-events")
    found = rows(seeded, href)
    expected = as_json(seeded, href)["events"]
    assert found, "the filters should match events"
    assert [(r["id"], r["position"], r["type"], r["occurred"]) for r in found] == [
        (e["id"], str(e["position"]), e["type"], cell(e["occurred"])) for e in expected]


def test_the_timelinejs_link_is_the_export_of_the_same_filters(seeded: TestClient) -> None:
    href, _ = link(seeded, f"/?actor=gbr&topic={T}", "download-timelinejs")
    slides = seeded.get(href).json()["events"]
    logged = seeded.get(f"/api/events?actor=gbr&topic={T}&limit=1000").json()["events"]
    assert [s["unique_id"] for s in slides] == [e["id"] for e in logged
                                                if e["occurred_end"] is not None]


@pytest.mark.browser
def test_the_matrix_link_follows_the_date_chosen_in_the_browser(
        server: str, tab: Callable[[], Tab]) -> None:
    t = open_page(tab, f"{server}/?topic={T}&as_of=2025-03-15")
    set_date(t, "2025-02-20")
    t.page.wait_for_function(
        "document.getElementById('download-stances').getAttribute('href')"
        ".includes('as_of=2025-02-20')")
    href = t.page.get_attribute("#download-stances", "href") or ""
    assert parse_qs(urlsplit(href).query) == {"topic": [T], "as_of": ["2025-02-20"],
                                              "format": ["csv"]}
    assert t.console_errors == []
