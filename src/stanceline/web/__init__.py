"""The timeline page: server-rendered HTML (Jinja2) and its own static files (no CDN)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from stanceline.web.page import STATIC, router


def install(app: FastAPI) -> None:
    """Add the page, its favicon and `/static` to an app (the composition root calls this)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


__all__ = ["install"]
