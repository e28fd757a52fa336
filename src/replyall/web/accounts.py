"""install_accounts(app): sign-in, "my data", administration, and the per-client rate limits."""

from __future__ import annotations

from fastapi import FastAPI

from replyall.web.ratelimit import RateLimiter, SearchLimitMiddleware


def install_accounts(app: FastAPI) -> None:
    """Call before install_site: middleware added first sits inside the security-header
    guard, so a 429 carries the same headers as every other response."""
    from replyall.web.routes import admin, admin_spam, login, me

    app.state.rate_limiter = RateLimiter(app.state.clock)
    app.add_middleware(SearchLimitMiddleware)
    for module in (login, me, admin, admin_spam):
        app.include_router(module.router)
