"""`GET /docs`: Swagger UI served by the service itself, so it works offline.

FastAPI's own page loads Swagger UI from a CDN and is blank without one. The assets come from
the `fastapi-offline` package (maintained, versioned with Swagger UI; nothing copied into this
repository) and are mounted under `/docs-assets`; the page is FastAPI's own HTML pointed at
them. This module serves the page rather than `FastAPIOffline`'s app so that the page carries
its own Content-Security-Policy, where a middleware would have had to touch every response
of the API: as strict as the timeline page's but for Swagger UI's one inline boot script,
allowed by its hash (a browser test runs "Try it out" under it with no violation). ReDoc is
not served (`/redoc` is a 404): one offline documentation page is enough, and ReDoc would
want web workers from blob: URLs and inline styles.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs-assets"
ASSETS = Path(str(files("fastapi_offline") / "static"))

# Swagger UI otherwise asks validator.swagger.io about the schema and shows a badge.
SWAGGER_PARAMETERS = {"validatorUrl": None, "defaultModelsExpandDepth": 0}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str) -> str:
    """The docs page's policy: local assets only, its inline scripts allowed by their hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html))
    return ("default-src 'self'; "
            f"script-src 'self' {hashes}; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


def install(app: FastAPI) -> None:
    """Serve Swagger UI at `/docs` with local assets (the app is made with `docs_url=None`
    and `redoc_url=None`)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        """Swagger UI on this app's OpenAPI document."""
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title}: API documentation",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}/favicon.ico",
            swagger_ui_parameters=SWAGGER_PARAMETERS)
        html = bytes(page.body).decode()
        return HTMLResponse(html, headers={
            "Content-Security-Policy": content_security_policy(html),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        })
