"""create_app(settings, db): the FastAPI application; nothing is built at import."""

from __future__ import annotations

from fastapi import FastAPI

from replyall import __version__
from replyall.clock import Clock, SystemClock
from replyall.config import Settings
from replyall.db.engine import Database
from replyall.web.routes import health, search_api
from replyall.web.routes import subscribe as digest_subscribe
from replyall.web.accounts import install_accounts
from replyall.web.site import install_site


def create_app(settings: Settings, db: Database, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(title="replyall", version=__version__, docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock or SystemClock()
    app.include_router(health.router)
    app.include_router(search_api.router)
    install_accounts(app)  # before install_site: its security-header guard must wrap the 429s
    install_site(app, settings)
    app.include_router(digest_subscribe.router)
    return app
