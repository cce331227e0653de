"""`GET /`: the timeline page, rendered on the server so that it reads without JavaScript."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from stanceline.deps import ServiceDep
from stanceline.offload import heavy
from stanceline.service import Service
from stanceline.web.chart import from_day_number
from stanceline.web.entry import entry_vocabulary
from stanceline.web.view import PAGE_PARAMETERS, PageState, build_page, build_panel

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

# No inline script or style at all: data reaches app.js through a non-executable JSON block and
# data-* attributes, so an escaping slip can never become script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every string from the log is user-written
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
    undefined=jinja2.StrictUndefined,
))
templates.env.filters["day_to_date"] = from_day_number
templates.env.globals["entry"] = entry_vocabulary()


def _asset_version() -> str:
    """A digest of the static files, so browsers never mix an old app.js with a new page."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


ASSET_VERSION = _asset_version()

router = APIRouter(include_in_schema=False)


def render(service: Service, state: PageState, unknown: Sequence[str] = ()
           ) -> tuple[str, int]:
    """The page's HTML for a state and its status: 404 when the state names an actor or a
    topic that does not exist (the page still shows, with the closest matches in a notice).
    CPU-bound: called off the event loop."""
    context, notices = build_page(service, state, unknown)
    template = templates.get_template("page.html")
    html = template.render({**context, "notices": notices, "asset_version": ASSET_VERSION})
    return html, max((n.status for n in notices), default=200)


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, service: ServiceDep) -> Response:
    """The timeline, the stance matrix, the claims and the event list for the URL's state."""
    state = PageState.from_query(request.query_params)
    unknown = sorted(set(request.query_params.keys()) - set(PAGE_PARAMETERS))
    html, status = await heavy(render, service, state, unknown)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def render_panel(service: Service, query: dict[str, str]) -> tuple[str, int]:
    """The stance panel's HTML and status, as `render` (CPU-bound: off the event loop)."""
    context, notices = build_panel(service, query)
    template = templates.get_template("panel.html")
    html = template.render({**context, "notices": notices, "asset_version": ASSET_VERSION})
    return html, max((n.status for n in notices), default=200)


@router.get("/panel", response_class=HTMLResponse)
async def panel(request: Request, service: ServiceDep) -> Response:
    """Stances over time for a topic: actors by month, coloured by stance (an SVG)."""
    html, status = await heavy(render_panel, service, dict(request.query_params))
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The icon browsers ask for on their own (an SVG; every current browser takes it)."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

