"""The HTML search page of an archive and the query help page (the engine lives in replyall.search)."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from replyall.search.engine import RANK_WINDOW
from replyall.web import present
from replyall.web.access import ArchiveDep, ViewDep
from replyall.web.deps import SessionDep, SettingsDep
from replyall.web.templating import render

log = logging.getLogger(__name__)

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

PER_PAGE = 20


@router.get("/search/help", name="search_help")
def search_help(request: Request):
    return render(request, "search_help.html", {"rank_window": RANK_WINDOW})


@router.get("/a/{slug}/search", name="search_page")
def search_page(
    request: Request, archive: ArchiveDep, view: ViewDep, session: SessionDep, settings: SettingsDep,
    q: Annotated[str, Query(max_length=1000)] = "", page: Annotated[int, Query(ge=1, le=500)] = 1,
    sort: Literal["relevance", "date"] = "relevance",
):
    from replyall.search import QueryError, search

    query = q.strip()
    context = {"archive": archive, "view": view, "section": "search", "query": query, "sort": sort,
               "results": [], "total": 0, "error": "", "pager": present.pages(1, 0, PER_PAGE)}
    if query:
        try:
            found = search(session, query, archive_ids=[archive.id], page=page, per_page=PER_PAGE, sort=sort,
                           display_text=lambda _archive_id, text: view.text(text))
        except QueryError as exc:
            context["error"] = str(exc)
        else:
            context.update(results=found.results, total=found.total,
                           pager=present.pages(found.page, found.total, found.per_page))
    return render(request, "search.html", context)
