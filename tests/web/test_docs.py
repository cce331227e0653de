"""`/docs` works offline: Swagger UI's assets are the service's own (issue 12.5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from stanceline.web.page import CONTENT_SECURITY_POLICY
from tests.web.conftest import Tab


def test_the_docs_page_names_only_local_assets(seeded: TestClient) -> None:
    response = seeded.get("/docs")
    assert response.status_code == 200
    html = response.text
    assert re.findall(r"""(?:src|href)=["']?(https?:)?//""", html) == []
    for asset in re.findall(r"""(?:src|href)=["']?(/docs-assets/[^"' >]+)""", html):
        assert seeded.get(asset).status_code == 200, asset
    assert "/docs-assets/swagger-ui-bundle.js" in html
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "'unsafe-inline'" not in \
        policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "style-src 'self';" in policy and "connect-src 'self';" in policy
    assert "https:" not in policy


def test_redoc_is_not_served_and_the_page_keeps_its_policy(seeded: TestClient) -> None:
    assert seeded.get("/redoc").status_code == 404
    assert seeded.get("/").headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.browser
def test_swagger_ui_renders_with_every_remote_request_blocked(
        server: str, tab: Callable[[], Tab]) -> None:
    t = tab()
    refused: list[str] = []
    failed: list[str] = []

    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    t.page.route("**/*", route)
    t.page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    t.page.goto(f"{server}/docs")
    t.page.wait_for_selector(".opblock")
    assert t.page.locator(".opblock").count() >= 10
    stances = t.page.locator(".opblock-summary-path", has_text="/api/stances").first
    stances.wait_for(state="visible")
    assert t.page.locator(".opblock-summary-path", has_text="/api/timelinejs").count() == 1
    # An operation opens, and "Try it out" asks this service and shows its answer.
    stances.click()
    opened = t.page.locator(".opblock.is-open").first
    opened.locator(".parameters").wait_for()
    opened.locator("button.try-out__btn").click()
    opened.locator("button.execute").click()
    opened.locator(".responses-wrapper .live-responses-table .response-col_status",
                   has_text="200").wait_for()
    assert '"stances"' in opened.locator(".live-responses-table .microlight").first.inner_text()
    assert not refused, f"requests left the machine: {refused}"
    assert not failed, f"requests failed: {failed}"
    assert not t.console_errors, t.console_errors
