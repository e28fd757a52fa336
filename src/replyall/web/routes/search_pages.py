"""The HTML search page of an archive and the query help page (the engine lives in replyall.search)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from replyall.web import present
from replyall.web.access import ArchiveDep, ViewDep
from replyall.web.deps import SessionDep, SettingsDep
from replyall.web.templating import render

log = logging.getLogger(__name__)

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


def search_engine():
    """The search function once the search issue has landed, else None (the page says so)."""
    try:
        from replyall.search.engine import search
    except ImportError:
        return None
    return search


@router.get("/search/help", name="search_help")
def search_help(request: Request):
    return render(request, "search_help.html", {})


@router.get("/a/{slug}/search", name="search_page")
def search_page(
    request: Request, archive: ArchiveDep, view: ViewDep, session: SessionDep, settings: SettingsDep,
    q: Annotated[str, Query(max_length=500)] = "", page: Annotated[int, Query(ge=1, le=1000)] = 1,
):
    engine = search_engine()
    context = {"archive": archive, "view": view, "section": "search", "query": q.strip(), "available": engine is not None,
               "results": [], "total": 0, "error": "", "pager": present.pages(1, 0, settings.web.per_page)}
    return render(request, "search.html", context)
