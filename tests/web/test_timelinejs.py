"""The TimelineJS export rendered by TimelineJS itself in Chromium (issue 12.2).

TimelineJS comes from the npm registry (`@knight-lab/timelinejs@3`), installed once per
session into test-artifacts/ (ignored by git) and served with the export from a local server:
every request the page makes stays on 127.0.0.1, and any other is refused and fails the test.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import ARTIFACTS, Tab

pytestmark = pytest.mark.browser

PACKAGE = "@knight-lab/timelinejs@3"
FOLDER = ARTIFACTS / "timelinejs"
DIST = FOLDER / "node_modules" / "@knight-lab" / "timelinejs" / "dist"

# The page loads the export by URL, as an embed names its JSON source. Self-hosted, TimelineJS
# needs `script_path` to find its locales (left to guess, it asks its CDN), and its default
# font theme loads web fonts from Google: `font: ""` keeps the fonts of timeline.css.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stanceline in TimelineJS</title>
<link rel="stylesheet" href="dist/css/timeline.css">
<script src="dist/js/timeline.js"></script></head>
<body><div id="timeline-embed" style="width: 100%; height: 640px"></div>
<script>
window.timeline = new TL.Timeline("timeline-embed", "export.json",
                                  {script_path: new URL("dist/js/", location.href).href, font: ""});
window.timeline.on("ready", () => { window.timelineReady = true; });
</script></body></html>
"""


@pytest.fixture(scope="session")
def timelinejs_dist() -> Path:
    """TimelineJS's dist/ from npm; skipped without npm unless the browser is required."""
    if (DIST / "js" / "timeline.js").is_file():
        return DIST
    npm = shutil.which("npm")
    if npm is None:
        reason = f"npm is not installed, so {PACKAGE} cannot be fetched (apt-get install npm)"
        if os.environ.get("STANCELINE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"STANCELINE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    FOLDER.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(FOLDER),
                           PACKAGE], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"npm install {PACKAGE} failed:\n{done.stderr[-2000:]}"
    assert (DIST / "js" / "timeline.js").is_file(), f"{PACKAGE} has no dist/js/timeline.js"
    return DIST


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the test reads them from the browser."""


@pytest.fixture
def site(tmp_path: Path, timelinejs_dist: Path) -> Iterator[Callable[[dict[str, Any]], str]]:
    """A local static server of TimelineJS, the page and an export; yields `publish(export)`
    giving the page's URL."""
    (tmp_path / "dist").symlink_to(timelinejs_dist, target_is_directory=True)
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def publish(export: dict[str, Any]) -> str:
        (tmp_path / "export.json").write_text(json.dumps(export), encoding="utf-8")
        return f"http://127.0.0.1:{httpd.server_address[1]}/index.html"

    try:
        yield publish
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _local_only(tab: Tab) -> tuple[list[str], list[str]]:
    """Refuse every request that leaves 127.0.0.1; returns (refused, failed) as they happen."""
    refused: list[str] = []
    failed: list[str] = []

    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    tab.page.route("**/*", route)
    tab.page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    return refused, failed


@pytest.mark.parametrize("query", ["topic=troops-in-ukraine", "actor=fra"])
def test_timelinejs_renders_the_export(seeded: TestClient, site: Callable[[dict[str, Any]], str],
                                       tab: Callable[[], Tab], query: str) -> None:
    export = seeded.get(f"/api/timelinejs?{query}").json()
    assert export["events"], "the export should hold events to draw"
    url = site(export)
    t = tab()
    refused, failed = _local_only(t)
    t.page.goto(url)
    t.page.wait_for_function("window.timelineReady === true")
    t.page.wait_for_selector(".tl-slide")
    # One slide per event, and the title slide.
    slides = t.page.locator(".tl-slide").count()
    assert slides == len(export["events"]) + 1
    groups = {e["group"] for e in export["events"]}
    assert t.page.locator(".tl-timegroup").count() == len(groups)
    # Going to an event by its id shows its slide, with the quote as a blockquote.
    first = export["events"][0]
    t.page.evaluate("id => window.timeline.goToId(id)", first["unique_id"])
    quote = t.page.locator(f'[id="{first["unique_id"]}"] blockquote').first
    quote.wait_for(state="visible")
    t.page.screenshot(path=str(ARTIFACTS / f"timelinejs-{query.split('=', maxsplit=1)[0]}.png"))
    assert not refused, f"requests left the machine: {refused}"
    assert not failed, f"requests failed: {failed}"
    assert not t.console_errors, t.console_errors
