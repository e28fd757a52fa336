"""install_site(app): templates, static files, error pages, security headers and the archive routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from replyall.config import Settings
from replyall.web import errors
from replyall.web.routes import api, archives, exports, feeds, messages, search_pages, threads
from replyall.web.templating import make_templates

STATIC = Path(__file__).parent / "static"


def install_site(app: FastAPI, settings: Settings) -> None:
    app.state.templates = make_templates(settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
    # Order matters where paths overlap: /t/{key}.mbox before /t/{key}, and
    # /m/{hash}.eml (in messages) before /m/{hash}.
    for module in (api, exports, feeds, search_pages, archives, messages, threads):
        app.include_router(module.router)
