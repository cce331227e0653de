"""Reads a cache can serve (issue 13.6): validators from the log's head, on every read.

Every GET under /api (and the page, `GET /`) answers with
- `X-Stanceline-Head: <position>`, the head the answer was computed at or after;
- `ETag`, a weak validator from the head (position and hash), the request (path, sorted
  query, `Accept`) and today's UTC date (relative dates such as `as_of=yesterday`, and every
  default of `as_of` to today, move with the clock); and
- `Cache-Control`: `public, max-age=31536000, immutable` when the answer can never change,
  else `no-cache` (a cache may keep it but must revalidate it every time).

`If-None-Match` with the current ETag is answered 304 from the head alone, without running the
route. The head is read *before* the route runs: an append that lands in between makes the
answer newer than its ETag says, never older, so a validator never vouches for a stale answer.

An answer can never change when it counts only what was recorded by an explicit `known_at`
that is strictly before the head's recording time (every later event is recorded after it, and
a retraction counts from its own recording on), does not bound the sources' publication
(`reported_by`: a source's date may be corrected later), and depends on no relative date: every
date given is ISO, and a route whose date defaults to today (`as_of`, `to`) is given it.

`X-Accel-Expires` tells nginx (deploy/nginx.conf) the same thing in its own terms: `@1`, an
expiry long past, keeps the answer in its cache but revalidates it on every request (nginx
refuses to store a `no-cache` answer at all); a year for the immutable ones.

/api/live (Server-Sent Events) and /api/verify get only `X-Stanceline-Head` (the head the
stream, or the walk, starts from) and no validator (see EXCLUDED); every other method passes
through untouched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stanceline.errors import StancelineError
from stanceline.store.base import Head

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# nginx's own cache-time header (see the module docstring).
NGINX_IMMUTABLE = "31536000"
NGINX_REVALIDATE = "@1"
# Reads that carry the head but no validator: the live stream (no representation to validate)
# and `verify`, whose answer changes without the head moving (a row rewritten behind the
# service's back): a 304 there would vouch for an "ok" that no longer holds.
EXCLUDED = frozenset({"/api/live", "/api/verify"})
# The date parameters of the reads, and the routes whose date defaults to today.
DATE_PARAMETERS = ("as_of", "known_at", "reported_by", "from", "to")
DEFAULTS_TO_TODAY = {"/api/stances": "as_of", "/api/claims": "as_of", "/api/changes": "to",
                     "/api/panel": "to"}
# An ISO date or timestamp (2025, 2025-02, 2025-02-03, 2025-02-03T10:00:00+00:00).
_ISO = re.compile(r"\d{4}(-\d{2}(-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)?)?")


def cacheable(scope: Scope) -> bool:
    """Whether a request is a read this module answers for: GET under /api, or the page."""
    path = str(scope.get("path", ""))
    return (scope["type"] == "http" and scope.get("method") == "GET"
            and (path == "/" or path.startswith("/api/")) and path not in EXCLUDED)


def head_only(scope: Scope) -> bool:
    """Whether a request is a read this module only marks with the head (EXCLUDED)."""
    return (scope["type"] == "http" and scope.get("method") == "GET"
            and scope.get("path") in EXCLUDED)


def request_key(scope: Scope) -> str:
    """The request as a validator sees it: path, sorted query and the media type asked for."""
    query = sorted(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                             keep_blank_values=True))
    accept = Headers(scope=scope).get("accept", "")
    return f"{scope.get('path', '')}?{urlencode(query)}|{accept}"


def etag(head: Head, key: str, day: str) -> str:
    """A weak validator: the same head, request and UTC date give the same answer (up to the
    echo of a default `known_at`, which is "now": hence weak)."""
    digest = hashlib.sha256(f"{head.position}:{head.hash}:{day}:{key}".encode()).hexdigest()
    return f'W/"{head.position}-{digest[:24]}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110's weak comparison of `If-None-Match` against the current ETag."""
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    for raw in if_none_match.split(","):
        candidate = raw.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def immutable(path: str, query: dict[str, str], head: Head,
              known_at: Callable[[str], datetime]) -> bool:
    """Whether the answer to this read can never change (see the module docstring)."""
    if "known_at" not in query or "reported_by" in query or head.recorded_at is None:
        return False
    if path == "/" or DEFAULTS_TO_TODAY.get(path, "known_at") not in query:
        return False
    if not all(_ISO.fullmatch(query[p].strip()) for p in DATE_PARAMETERS if p in query):
        return False
    try:
        moment = known_at(query["known_at"])
    except StancelineError:
        return False
    return moment < head.recorded_at


class ReadCache:
    """The ASGI middleware of this module; `head` and `known_at` come from the app's service
    (read when the request arrives, so the app may open its service in its lifespan)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not cacheable(scope):
            if head_only(scope):
                await self._with_head(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        service = scope["app"].state.service
        head: Head = service.store.head_mark()
        tag = etag(head, request_key(scope), datetime.now(UTC).date().isoformat())
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                               keep_blank_values=True))
        forever = immutable(str(scope["path"]), query, head, service.known_at)
        headers = [(b"x-stanceline-head", str(head.position).encode()),
                   (b"etag", tag.encode()), (b"vary", b"Accept"),
                   (b"cache-control", (IMMUTABLE if forever else REVALIDATE).encode()),
                   (b"x-accel-expires",
                    (NGINX_IMMUTABLE if forever else NGINX_REVALIDATE).encode())]
        if matches(Headers(scope=scope).get("if-none-match"), tag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_validators(message: Message) -> None:
            if message["type"] == "http.response.start":
                # This module's Cache-Control replaces a route's own (the page's no-store).
                own = [(k, v) for k, v in message.get("headers", [])
                       if k.lower() != b"cache-control"]
                if message["status"] == 200:
                    message["headers"] = [*own, *headers]
                else:
                    # An error is not a representation to revalidate: no ETag, no caching.
                    message["headers"] = [*own, headers[0], (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, with_validators)

    async def _with_head(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The head the answer starts from, and no validator; `no-store` unless the route
        says otherwise (the live stream's own `no-cache`)."""
        head: Head = scope["app"].state.service.store.head_mark()

        async def with_head(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                if not any(k.lower() == b"cache-control" for k, _ in own):
                    own.append((b"cache-control", b"no-store"))
                message["headers"] = [*own, (b"x-stanceline-head", str(head.position).encode())]
            await send(message)

        await self.app(scope, receive, with_head)
