"""Error pages in the site's design for HTML routes, JSON errors under /api/, and security headers.

Both live in one pure ASGI middleware so that even a 500 rendered after a crash
carries the Content-Security-Policy and the other headers.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# No inline script or style anywhere (pages need no JavaScript at all); forms post only here.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Swagger UI (FastAPI's /api/docs) loads its bundle from a CDN and starts with an
# inline script: that one page gets its own, wider policy.
DOCS_CSP = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}

TITLES = {400: "Bad request", 403: "Not available", 404: "Page not found", 405: "Method not allowed",
          429: "Too many requests", 500: "Sorry, there is a problem"}


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def error_page(request: Request, status: int, detail: str = "") -> Response:
    if is_api(request.url.path):
        return JSONResponse({"detail": detail or TITLES.get(status, "Error")}, status_code=status)
    from replyall.web.templating import render

    name = "errors/404.html" if status == 404 else "errors/500.html" if status >= 500 else "errors/error.html"
    return render(request, name, {"status": status, "title": TITLES.get(status, "Error"), "detail": detail}, status)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    response = error_page(request, exc.status_code, str(exc.detail) if exc.detail else "")
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if is_api(request.url.path):
        return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)
    if any(e["loc"] and e["loc"][0] == "path" for e in exc.errors()):
        return error_page(request, 404)  # /m/not-a-hash or /2026/13: no such page, not a bad form
    names = ", ".join(str(e["loc"][-1]) for e in exc.errors())
    return error_page(request, 400, f"Check the address: {names} is not valid.")


def jsonable(errors) -> list:
    return json.loads(json.dumps(list(errors), default=str))


class GuardMiddleware:
    """Adds security headers to every response and turns an unhandled crash into a 500 page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        csp = DOCS_CSP if path == "/api/docs" else CSP
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in (("content-security-policy", csp), *HEADERS.items()):
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error", extra={"path": path})
            if started:
                raise  # half a response is out; all we can do is drop the connection
            request = Request(scope)
            request.scope["app"] = scope.get("app")
            response = self._fallback(scope, request)
            await response(scope, receive, send_with_headers)

    def _fallback(self, scope: Scope, request: Request) -> Response:
        try:
            return error_page(request, 500)
        except Exception:  # noqa: BLE001 - the error page itself failed: plain text, no detail
            log.exception("error page failed")
            return HTMLResponse("<h1>Sorry, there is a problem</h1>", status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(GuardMiddleware)
