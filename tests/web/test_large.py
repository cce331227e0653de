"""The page on large synthetic logs: bounded time at 10,000 events, bounded DOM at 100,000."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.service import Service
from stanceline.synthetic import write_jsonl
from stanceline.web import view
from tests.web.conftest import page
from tests.web.html_tree import parse


def synthetic_client(folder: Path, n: int) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{folder / 'large.db'}", load_seed=False)
    service = Service.open(settings)
    try:
        service.load([write_jsonl(folder / "synthetic.jsonl", n)])
    finally:
        service.close()
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def ten_thousand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from synthetic_client(tmp_path_factory.mktemp("10k"), 10_000)


# The page's speed is measured by `stanceline bench` ("page GET /"), never by a timed test.


def test_a_large_log_is_drawn_as_aggregated_blocks(ten_thousand: TestClient) -> None:
    doc = page(ten_thousand)
    svg = doc.by_id("timeline-svg")
    assert svg.get("data-mode") == "buckets"
    blocks = svg.find_all("a", class_="block")
    assert 0 < len(blocks) <= 1_200 and not svg.find_all("a", class_="mark")
    counted = sum(int(b.get("data-count")) for b in blocks)
    assert counted == 10_000 - 10_000 // 100  # the retractions are undated
    lanes = svg.find_all("g", class_="lane")
    assert len(lanes) <= 31 and lanes[-1].get("data-lane") == "*"


def test_the_list_of_a_large_log_pages_with_a_cursor(ten_thousand: TestClient) -> None:
    first = page(ten_thousand)
    listed = first.by_id("event-list").find_all("tr", class_="event")
    assert 0 < len(listed) <= view.LIST_PAGE
    more = first.by_id("more-events").get("href")
    after = int(parse_qs(urlsplit(more).query)["after"][0])
    assert after == max(int(a.get("data-position")) for a in listed)
    second = page(ten_thousand, more).by_id("event-list").find_all("tr", class_="event")
    assert second and min(int(a.get("data-position")) for a in second) > after


def test_the_matrix_of_a_large_log_shows_a_window_of_actors(ten_thousand: TestClient) -> None:
    doc = page(ten_thousand, "/?as_of=2020-06-30")
    table = doc.by_id("matrix")
    assert table.get("data-windowed") == "true"
    rows = table.find_all("th", scope="row")
    assert len(rows) == view.MATRIX_ROWS
    known = table.find_all("td", data_stance="supports")
    assert known
    # The cells agree with the API for the same date.
    td = known[0]
    answer = ten_thousand.get("/api/stances", params={
        "actor": td.get("data-actor"), "topic": td.get("data-topic"),
        "as_of": "2020-06-30"}).json()["stances"][0]
    assert answer["stance"] == "supports"
    following = doc.find("p", class_="pager").find_all("a")[-1].get("href")
    next_rows = page(ten_thousand, following).by_id("matrix").find_all("th", scope="row")
    assert {r.words() for r in next_rows}.isdisjoint({r.words() for r in rows})


@pytest.mark.slow
def test_100000_events_never_make_one_dom_node_per_event(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    for client in synthetic_client(tmp_path_factory.mktemp("100k"), 100_000):
        response = client.get("/")
        assert response.status_code == 200
        nodes = response.text.count("<")
        assert nodes < 30_000, nodes
        doc = parse(response.text)
        svg = doc.by_id("timeline-svg")
        assert len(svg.find_all("a", class_="block")) <= 1_200
        assert len(doc.by_id("event-list").find_all("tr", class_="event")) <= view.LIST_PAGE


def test_a_long_list_of_a_drawable_log_pages(ten_thousand: TestClient) -> None:
    doc = page(ten_thousand, "/?topic=t03")
    assert doc.by_id("timeline-svg").get("data-mode") == "events"
    listed = doc.by_id("event-list").find_all("tr", class_="event")
    assert len(listed) == view.LIST_PAGE
    starts = [int(a.get("data-start")) for a in listed]
    assert starts == sorted(starts, reverse=True)  # newest first
    more = doc.by_id("more-events").get("href")
    assert parse_qs(urlsplit(more).query)["shown"] == [str(2 * view.LIST_PAGE)]
    following = page(ten_thousand, more).by_id("event-list").find_all("tr", class_="event")
    assert len(following) == view.LIST_PAGE  # the next page, not a longer one
    assert {a.get("data-id") for a in following}.isdisjoint({a.get("data-id") for a in listed})
    assert max(int(a.get("data-start")) for a in following) <= min(starts)
