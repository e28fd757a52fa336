"""GET /api/v1/search: the search engine as JSON, one result per thread, paginated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from replyall.db.models import Archive
from replyall.search import QueryError, readable_archive_ids, search
from replyall.web.access import ReaderDep, make_view, not_found
from replyall.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["search"])


class SearchResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    thread_id: str = Field(description="Stable public id of the thread (as in /t/{id})")
    message_id: str = Field(description="Message-ID (without angle brackets) of the best-matching message")
    message_hash: str = Field(description="Permalink hash of that message, as in /m/{hash}")
    archive: str = Field(description="slug of the archive")
    subject: str
    from_: str = Field(alias="from", description="Sender's name, or address (obfuscated where the archive hides them)")
    date: datetime | None
    snippet: str = Field(description="HTML: escaped text of the best-matching message with the matched words in <mark>")
    snippet_text: str = Field(description="The same excerpt as plain text")
    score: float = Field(description="Relevance of the thread (its best message); higher is better")
    matches: int = Field(description="Matching messages in the thread")


class SearchOut(BaseModel):
    results: list[SearchResult]
    total: int = Field(description="Matching threads over all pages")
    total_exact: bool = Field(description="False when total is an estimate (a very common word)")
    next: str | None = Field(description="URL of the next page, or null on the last page")


class SearchError(BaseModel):
    detail: str


@router.get(
    "/search", response_model=SearchOut, response_model_by_alias=True,
    responses={400: {"model": SearchError, "description": "The query cannot be run; detail says why"},
               404: {"model": SearchError, "description": "No such archive, or not one this reader may see"}},
    summary="Search messages (query language at /search/help); one result per thread",
)
def api_search(
    request: Request, session: SessionDep, reader: ReaderDep, settings: SettingsDep,
    q: str = "",
    archive: Annotated[str | None, Query(description="slug: search only this archive")] = None,
    page: Annotated[int, Query(ge=1, le=500)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: Literal["relevance", "date"] = "relevance",
):
    allowed = readable_archive_ids(session, settings, reader)
    if archive is not None:
        wanted = session.scalar(select(Archive.id).where(Archive.slug == archive))
        if wanted is None or wanted not in allowed:
            raise not_found("Archive")
        allowed = [wanted]
    archives = {a.id: a for a in session.scalars(select(Archive).where(Archive.id.in_(allowed)))}
    views = {aid: make_view(a, reader, settings) for aid, a in archives.items()}
    try:
        result = search(
            session, q, archive_ids=allowed, page=page, per_page=per_page, sort=sort,
            display_text=lambda aid, text: views[aid].text(text),
        )
    except QueryError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    out = []
    for hit in result.results:
        best = hit.best
        assert best is not None
        view = views[hit.archive_id]
        out.append(SearchResult(
            thread_id=hit.thread_key, message_id=best.message_id, message_hash=best.key, archive=hit.archive_slug,
            subject=hit.subject, from_=view.who(best.from_name, best.from_address), date=best.date,
            snippet=str(best.snippet.html()), snippet_text=str(best.snippet), score=hit.score,
            matches=hit.match_count,
        ))
    nxt = str(request.url.include_query_params(page=page + 1)) if result.has_next and page < 500 else None
    return SearchOut(results=out, total=result.total, total_exact=result.total_exact, next=nxt)
