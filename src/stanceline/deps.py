"""The dependencies the API's and the page's routes share, as `Annotated` aliases they name
in their signatures. A neutral module: `api/` and `web/` both import it and never each other.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from stanceline.errors import Unauthorized
from stanceline.service import Service
from stanceline.store.feed import AppendFeed


# Every dependency here is `async def`: a plain `def` would be run in the thread pool on every
# request, which costs more than the as-of query itself.
async def get_service(request: Request) -> Service:
    """The service the app was created with."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


async def get_feed(request: Request) -> AppendFeed:
    """The live feed the app started with its service (`Service.live_feed`)."""
    feed: AppendFeed = request.app.state.feed
    return feed


FeedDep = Annotated[AppendFeed, Depends(get_feed)]


async def require_writer(service: ServiceDep,
                         authorization: Annotated[str | None, Header()] = None) -> str | None:
    """Writes need `Authorization: Bearer <token>` when tokens are configured; the answer is
    the token's name (recorded as `recorded_by`), None for a bare token or open writes."""
    writers = service.settings.writers
    if not writers:
        return None
    scheme, _, given = (authorization or "").partition(" ")
    # Compare against every token in constant time, so timing reveals nothing about any.
    name: str | None = None
    valid = False
    for secret, holder in writers.items():
        match = hmac.compare_digest(given.strip().encode(), secret.encode())
        valid |= match
        name = holder if match else name
    if scheme.lower() != "bearer" or not valid:
        raise Unauthorized("this write needs `Authorization: Bearer <token>` "
                           "with a configured token")
    return name


Writer = Annotated[str | None, Depends(require_writer)]
