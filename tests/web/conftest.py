"""The page's fixtures: an in-process client on the seeded log, a real uvicorn server, Chromium."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from stanceline.api import create_app
from stanceline.config import Settings
from tests.web.html_tree import Node, parse

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("STANCELINE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def seeded_settings(folder: Path, **extra: Any) -> Settings:
    """Settings for a fresh SQLite file seeded with the curated events."""
    return Settings(database_url=f"sqlite:///{folder / 'web.db'}", seed_events_dir=EVENTS,
                    **extra)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client on the seeded log, shared by tests that only read."""
    app = create_app(seeded_settings(tmp_path_factory.mktemp("seeded")))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[TestClient]:
    """A client on a seeded log of its own, for tests that append."""
    with TestClient(create_app(seeded_settings(tmp_path))) as client:
        yield client


def page(client: TestClient, url: str = "/") -> Node:
    """GET a page and parse it (asserting it is an HTML 200)."""
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text)


def statement(summary: str, *, actor: str = "gbr", occurred: str = "2025-03-02",
              **extra: Any) -> dict[str, Any]:
    """A `statement.made` event in the API's input form, with a fresh id."""
    return {"id": str(uuid.uuid4()), "type": "statement.made", "occurred": occurred,
            "data": {"actor": actor, "speaker": "keir-starmer", "topic": "troops-in-ukraine",
                     "summary": summary},
            "source": {"document": "web-test", "quote": extra.pop("quote", "a quote")},
            **extra}


# -- a real server --------------------------------------------------------------------------
@contextmanager
def running(settings: Settings) -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port in a thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # No websockets (the page needs none; importing them warns on some versions).
    config = uvicorn.Config(create_app(settings), log_level="warning", ws="none",
                            lifespan="on", timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on a seeded log (module-wide; tests that append use their own ids)."""
    with running(seeded_settings(tmp_path_factory.mktemp("server"))) as base:
        yield base


def append(base: str, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Append through the HTTP API, as any client would."""
    response = httpx.post(f"{base}/api/events", json={"events": list(events)}, timeout=10)
    assert response.status_code == 201, response.text
    appended: list[dict[str, Any]] = response.json()["appended"]
    return appended


# -- Chromium -------------------------------------------------------------------------------
def unavailable(reason: str) -> None:
    """Skip a browser test with the reason, or fail it where CI requires the browser."""
    if os.environ.get("STANCELINE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"STANCELINE_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"browser tests need Chromium at {CHROMIUM} and playwright: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by playwright; skipped (or failed in CI) when missing."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} does not exist (apt-get install -y chromium)")
    with sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as exc:
            unavailable(f"Chromium did not start: {exc}")
        yield launched
        launched.close()


class Tab:
    """A page with everything it asked for and complained about recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.console_errors.append(f"{message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def tab(browser: Any) -> Iterator[Callable[[], Tab]]:
    """Open recorded tabs in a fresh browser context (closed after the test)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)

    def new() -> Tab:
        return Tab(context.new_page())

    yield new
    context.close()
