"""Exports: a thread or a whole archive (optionally a date range) as a streamed mboxrd file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from replyall.db.engine import Database
from replyall.web import queries
from replyall.web.access import ArchiveDep, ReaderDep, check_originals
from replyall.web.deps import DbDep, SessionDep, SettingsDep
from replyall.web.mbox import mbox_stream
from replyall.web.routes.threads import readable_thread

router = APIRouter(include_in_schema=False)

MBOX = "application/mbox"  # RFC 4155


def _stream(db: Database, **where) -> Iterator[bytes]:
    # Its own read session: the request's session closes when the handler returns,
    # while the body is still being streamed.
    with db.reader() as session:
        yield from mbox_stream(queries.exportable(session, **where))


def _attachment(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"'}


@router.get("/t/{key}.mbox", name="thread_mbox")
def thread_mbox(key: str, session: SessionDep, reader: ReaderDep, db: DbDep, settings: SettingsDep):
    thread, archive = readable_thread(session, key, reader)
    check_originals(archive, reader, settings.web.obfuscate_addresses)
    return StreamingResponse(
        _stream(db, archive_id=archive.id, thread_id=thread.id), media_type=MBOX,
        headers=_attachment(f"{thread.key}.mbox"),
    )


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be a date written year-month-day, for example 2026-11-01") from None


@router.get("/a/{slug}/export.mbox", name="archive_mbox")
def archive_mbox(
    request: Request, archive: ArchiveDep, reader: ReaderDep, db: DbDep, settings: SettingsDep,
    since: str | None = None, until: str | None = None,
):
    check_originals(archive, reader, settings.web.obfuscate_addresses)
    zone = ZoneInfo(settings.web.time_zone)
    first, last = _day(since, "since"), _day(until, "until")
    if first and last and last < first:
        raise HTTPException(400, "The 'to' date is before the 'from' date")
    start = datetime.combine(first, time(), zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
    name = archive.slug + (f"-from-{first}" if first else "") + (f"-to-{last}" if last else "") + ".mbox"
    return StreamingResponse(
        _stream(db, archive_id=archive.id, start=start, end=end), media_type=MBOX, headers=_attachment(name)
    )
