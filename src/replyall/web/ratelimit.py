"""Per-client rate limits (429) for sign-in requests and searches, counted in this process.

A sliding window of hit times per (bucket, client address), measured with the
injected clock. The counts live in memory: with several web processes behind a load
balancer each process counts on its own, so the effective limit is the configured
one times the number of processes (documented in config.example.toml). That is
enough to stop a script hammering the login form or the search engine; it is not an
accounting system.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime, timedelta

from fastapi import HTTPException, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from replyall.clock import Clock

#: Forget clients idle for longer than the longest window, and never track more than
#: this many at once (a spray from many addresses must not grow memory without bound).
MAX_CLIENTS = 50_000


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._hits: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, client: str, limit: int, window: timedelta) -> float | None:
        """Count one request; None if allowed, else seconds until the next one would be."""
        now = self.clock.now()
        key = (bucket, client)
        with self._lock:
            times = self._hits.get(key)
            if times is None:
                if len(self._hits) >= MAX_CLIENTS:
                    self._forget(now - window)
                times = self._hits[key] = deque()
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                return max(1.0, (times[0] + window - now).total_seconds())
            times.append(now)
            return None

    def _forget(self, before: datetime) -> None:
        for key in [k for k, t in self._hits.items() if not t or t[-1] <= before]:
            del self._hits[key]
        if len(self._hits) >= MAX_CLIENTS:
            self._hits.clear()


def client_address(scope_or_request: Scope | Request) -> str:
    # uvicorn runs with proxy_headers, so behind a trusted proxy this is the real client.
    client = scope_or_request.client if isinstance(scope_or_request, Request) else scope_or_request.get("client")
    if client is None:
        return "unknown"
    return client[0] if isinstance(client, tuple | list) else client.host


def too_many(retry_after: float, what: str) -> HTTPException:
    return HTTPException(
        status_code=429,
        detail=f"Too many {what} from your address. Wait a little and try again.",
        headers={"Retry-After": str(math.ceil(retry_after))},
    )


def limit_login(request: Request) -> None:
    """Dependency: at most auth.login_per_hour sign-in link requests per client per hour."""
    settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.hit("login", client_address(request), settings.auth.login_per_hour, timedelta(hours=1))
    if wait is not None:
        raise too_many(wait, "sign-in requests")


def may_mail(request: Request, address: str) -> bool:
    """At most auth.login_per_hour sign-in mails to one address per hour, from anywhere.

    Requests from many client addresses must not flood one person's inbox; over the
    limit the page answers as always and simply sends nothing.
    """
    settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter.hit("login-mail", address, settings.auth.login_per_hour, timedelta(hours=1)) is None


def is_search_path(path: str) -> bool:
    """Every search endpoint, page or API, whoever wrote it: any path segment named 'search'."""
    return "search" in path.strip("/").split("/")


def is_search(scope: Scope) -> bool:
    # Only a request that asks something costs a query: the empty search form and the
    # help page are pages like any other.
    return is_search_path(scope.get("path", "")) and bool(scope.get("query_string"))


class SearchLimitMiddleware:
    """Applies auth.searches_per_minute to every search path (pages and API alike).

    A middleware rather than a dependency so that a search route added later cannot
    forget it. The 429 is rendered by the app's own error handling (page or JSON).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_search(scope):
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        limiter: RateLimiter = app.state.rate_limiter
        per_minute = app.state.settings.auth.searches_per_minute
        wait = limiter.hit("search", client_address(scope), per_minute, timedelta(minutes=1))
        if wait is None:
            await self.app(scope, receive, send)
            return
        response = _rendered_429(scope, wait)
        await response(scope, receive, send)


def _rendered_429(scope: Scope, wait: float) -> Response:
    from replyall.web.errors import error_page

    request = Request(scope)
    exc = too_many(wait, "searches")
    try:
        response = error_page(request, 429, str(exc.detail))
    except Exception:  # noqa: BLE001 - templates unavailable: a plain answer still says 429
        response = Response(str(exc.detail), status_code=429, media_type="text/plain")
    response.headers.update(exc.headers or {})
    return response
