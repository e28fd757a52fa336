"""Atom feeds (RFC 4287): an archive's new conversations and a conversation's new messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from replyall.db.models import Message, Thread
from replyall.web import queries
from replyall.web.access import ArchiveDep, ReaderDep, make_view
from replyall.web.deps import SessionDep, SettingsDep
from replyall.web.routes.threads import readable_thread

router = APIRouter(include_in_schema=False)

ATOM = "application/atom+xml; charset=utf-8"
FEED_SIZE = 30
SUMMARY_CHARS = 2000
# XML 1.0 forbids most C0 controls even as character references; mail bodies carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def xml_text(value: str, limit: int | None = None) -> str:
    value = _NOT_XML.sub("", value or "")
    return value if limit is None or len(value) <= limit else value[:limit].rstrip() + " …"


def _atom(request: Request, feed: dict, entries: list[dict]) -> Response:
    body = request.app.state.templates.get_template("feeds/atom.xml").render(feed=feed, entries=entries)
    return Response(body, media_type=ATOM)


def _base(settings) -> str:
    return settings.web.base_url


@router.get("/a/{slug}/feed.atom", name="archive_feed")
def archive_feed(request: Request, archive: ArchiveDep, session: SessionDep, reader: ReaderDep, settings: SettingsDep):
    view = make_view(archive, reader, settings)
    threads = session.scalars(
        select(Thread).where(Thread.archive_id == archive.id, Thread.message_count > 0)
        .order_by(Thread.started_at.desc().nulls_last(), Thread.id.desc()).limit(FEED_SIZE)
    ).all()
    firsts = queries.first_messages(session, [t.id for t in threads])
    base = _base(settings)
    entries = []
    for t in threads:
        first = firsts.get(t.id)
        entries.append({
            "id": f"{base}/t/{t.key}",
            "title": xml_text(t.subject or "(no subject)"),
            "url": f"{base}/t/{t.key}",
            "published": t.started_at or EPOCH,
            "updated": t.started_at or EPOCH,
            "author": xml_text(view.who(first.from_name, first.from_address)) if first else "unknown",
            "content": xml_text(view.text(first.body), SUMMARY_CHARS) if first and not first.hidden else "",
        })
    feed = {
        "id": f"{base}/a/{archive.slug}",
        "title": xml_text(f"New conversations in {archive.name}"),
        "subtitle": xml_text(archive.description),
        "updated": max((e["published"] for e in entries), default=archive.created_at),
        "self_url": f"{base}/a/{archive.slug}/feed.atom",
        "html_url": f"{base}/a/{archive.slug}",
    }
    return _atom(request, feed, entries)


@router.get("/t/{key}/feed.atom", name="thread_feed")
def thread_feed(request: Request, key: str, session: SessionDep, reader: ReaderDep, settings: SettingsDep):
    thread, archive = readable_thread(session, key, reader)
    view = make_view(archive, reader, settings)
    messages = session.scalars(
        select(Message).where(Message.thread_id == thread.id, Message.is_ghost.is_(False), Message.hidden.is_(False))
        .order_by(Message.date.desc().nulls_last(), Message.id.desc()).limit(FEED_SIZE)
    ).all()
    base = _base(settings)
    entries = [
        {
            "id": f"{base}/m/{m.message_id_hash}",
            "title": xml_text(m.subject or "(no subject)"),
            "url": f"{base}/m/{m.message_id_hash}",
            "published": m.date or m.received_at or EPOCH,
            "updated": m.date or m.received_at or EPOCH,
            "author": xml_text(view.who(m.from_name, m.from_address)),
            "content": xml_text(view.text(m.body), SUMMARY_CHARS),
        }
        for m in messages
    ]
    feed = {
        "id": f"{base}/t/{thread.key}",
        "title": xml_text(thread.subject or "(no subject)"),
        "subtitle": xml_text(f"A conversation in {archive.name}"),
        "updated": thread.last_activity_at or EPOCH,
        "self_url": f"{base}/t/{thread.key}/feed.atom",
        "html_url": f"{base}/t/{thread.key}",
    }
    return _atom(request, feed, entries)


@router.get("/a/{slug}/search/feed.atom", name="search_feed")
def search_feed(request: Request, archive: ArchiveDep, session: SessionDep, reader: ReaderDep, settings: SettingsDep,
                q: str = ""):
    """A saved search as a feed: the newest matching messages, one entry per conversation."""
    from urllib.parse import quote_plus

    from fastapi import HTTPException

    from replyall.search import QueryError, search

    view = make_view(archive, reader, settings)
    try:
        found = search(session, q, archive_ids=[archive.id], per_page=FEED_SIZE, sort="date",
                       display_text=lambda _archive_id, text: view.text(text))
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    base = _base(settings)
    entries = []
    for hit in found.results:
        best = hit.best
        if best is None:
            continue
        entries.append({
            "id": f"{base}/m/{best.key}",
            "title": xml_text(best.subject or hit.subject or "(no subject)"),
            "url": f"{base}/m/{best.key}",
            "published": best.date or EPOCH,
            "updated": best.date or EPOCH,
            "author": xml_text(view.who(best.from_name, best.from_address)),
            "content": xml_text(str(best.snippet), SUMMARY_CHARS),
        })
    query = quote_plus(q)
    feed = {
        "id": f"{base}/a/{archive.slug}/search?q={query}",
        "title": xml_text(f"“{q}” in {archive.name}"),
        "subtitle": "Newest messages matching a search",
        "updated": max((e["published"] for e in entries), default=archive.created_at),
        "self_url": f"{base}/a/{archive.slug}/search/feed.atom?q={query}",
        "html_url": f"{base}/a/{archive.slug}/search?q={query}",
    }
    return _atom(request, feed, entries)
