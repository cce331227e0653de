"""Build the FastAPI application for a set of settings: the one composition root.

It opens the service (migrating and seeding it), starts its live feed, and includes the
API's routers and the page's (`stanceline.web`). This is the only place that knows both: the
page shares the API's dependencies through `stanceline.deps` and imports nothing from `api/`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool

from stanceline import offload
from stanceline.api import docs, errors
from stanceline.api.caching import ReadCache
from stanceline.api.checkpoint import router as checkpoint_router
from stanceline.api.dates import router as dates_router
from stanceline.api.documents import router as documents_router
from stanceline.api.events import router as events_router
from stanceline.api.exports import router as exports_router
from stanceline.api.limits import BodyLimit
from stanceline.api.live import router as live_router
from stanceline.api.params import known_query
from stanceline.api.stances import hot_router as hot_stances_router
from stanceline.api.stances import router as stances_router
from stanceline.config import Settings
from stanceline.service import Service
from stanceline.web import install as install_web


def create_app(settings: Settings, service: Service | None = None, *,
               quiet_gc: bool = False) -> FastAPI:
    """The app; it opens (migrates, seeds) its own service unless one is handed in. With
    `quiet_gc` (a serving process's own app) it runs the full garbage collections itself,
    between heavy reads (stanceline.offload)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = service is None
        app.state.service = service or await run_in_threadpool(Service.open, settings)
        await run_in_threadpool(app.state.service.warn_if_guards_bypassable)
        if owned:
            await run_in_threadpool(app.state.service.seed)
        app.state.feed = app.state.service.live_feed()
        app.state.feed.start()
        collector = asyncio.get_running_loop().create_task(
            offload.collect_when_quiet()) if quiet_gc else None
        try:
            yield
        finally:
            if collector is not None:
                collector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await collector
            await app.state.feed.close()
            if owned:
                app.state.service.close()

    # `/docs` is served offline by `stanceline.api.docs`; FastAPI's own pages use a CDN.
    app = FastAPI(title="Stanceline", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None,
                  description="Who said what, when: an append-only event log of the debate on "
                              "European troops in Ukraine, with as-of stance projections.")
    if service is not None:
        app.state.service = service
    errors.install(app)
    # Every API route refuses the query parameters it does not declare (the stances router
    # carries the check itself; its hot as-of route makes it inline).
    known = [Depends(known_query)]
    app.include_router(events_router, dependencies=known)
    app.include_router(checkpoint_router, dependencies=known)
    app.include_router(exports_router, dependencies=known)
    app.include_router(hot_stances_router)
    app.include_router(stances_router)
    app.include_router(live_router, dependencies=known)
    app.include_router(dates_router, dependencies=known)
    app.include_router(documents_router, dependencies=known)
    install_web(app)
    docs.install(app)

    @app.get("/healthz", tags=["meta"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # Validators from the log's head on every read (ETag, 304, Cache-Control): api/caching.py.
    app.add_middleware(ReadCache)
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory: settings from the environment (used by `stanceline serve`)."""
    return create_app(Settings(), quiet_gc=True)
