"""The thread page: a conversation in tree or date order, with similar conversations."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from replyall.db.models import Archive, Thread
from replyall.db.queries import order_tree
from replyall.web import present, queries
from replyall.web.access import ReaderDep, check_readable, make_view, not_found, readable_archive_ids
from replyall.web.deps import SessionDep, SettingsDep
from replyall.web.fragments import messages_html
from replyall.web.shown import Presenter
from replyall.web.templating import render

log = logging.getLogger(__name__)

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


def readable_thread(session: Session, key: str, reader) -> tuple[Thread, Archive]:
    """The thread (following merge aliases) and its archive, or 404 for unknown and unreadable alike."""
    thread = queries.resolve_thread(session, key)
    if thread is None or thread.message_count == 0:
        raise not_found("Conversation")
    archive = check_readable(session.get(Archive, thread.archive_id), reader, "Conversation")
    return thread, archive


#: Similar conversations change only when mail arrives; ranking them costs more than the
#: rest of a long thread page, so results are kept for a while per (thread, size, readable archives).
SIMILAR_TTL = timedelta(minutes=10)
SIMILAR_CACHE_SIZE = 2048


def similar_threads(request: Request, session: Session, thread: Thread, reader, limit: int = 5) -> list | None:
    """Other conversations like this one, from the archives this reader may see; None if search failed."""
    from replyall.search import similar_threads as find_similar

    archive_ids = readable_archive_ids(session, reader)
    key = (thread.id, thread.message_count, tuple(archive_ids), limit)
    cache: OrderedDict = getattr(request.app.state, "similar_cache", None) or OrderedDict()
    request.app.state.similar_cache = cache
    now = request.app.state.clock.now()
    hit = cache.get(key)
    if hit is not None and now - hit[0] < SIMILAR_TTL:
        return hit[1]
    try:
        found = list(find_similar(session, thread.id, limit=limit, archive_ids=archive_ids))
    except Exception:  # noqa: BLE001 - a failing suggestion must not take the conversation down
        log.exception("similar conversations failed", extra={"thread": thread.key})
        return None
    cache[key] = (now, found)
    cache.move_to_end(key)
    while len(cache) > SIMILAR_CACHE_SIZE:
        cache.popitem(last=False)
    return found


@router.get("/t/{key}", name="thread_page")
def thread_page(
    request: Request, key: str, session: SessionDep, reader: ReaderDep, settings: SettingsDep,
    view: Annotated[Literal["tree", "flat"], Query()] = "tree",
):
    thread, archive = readable_thread(session, key, reader)
    if thread.key != key:
        # A merged-away or differently-cased key: send readers (and search engines) to the one URL.
        url = request.app.url_path_for("thread_page", key=thread.key)
        return RedirectResponse(f"{url}?view=flat" if view == "flat" else str(url), status_code=301)
    rows, attachments = queries.thread_rows(session, thread.id)
    placed = order_tree(rows) if view == "tree" else present.flat_order(rows)
    page_view = make_view(archive, reader, settings)
    presenter = Presenter.for_request(request, page_view, thread.subject)
    return render(request, "thread.html", {
        "archive": archive, "thread": thread, "view_mode": view,
        "messages_html": messages_html(request, presenter, placed, attachments),
        "view": page_view, "similar": similar_threads(request, session, thread, reader),
    })
