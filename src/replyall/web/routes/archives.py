"""Archive pages: the list of archives, an archive's conversations, browse by month, people."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from replyall.web import present, queries
from replyall.web.access import ArchiveDep, ReaderDep, ViewDep, not_found, readable_archives
from replyall.web.deps import ClockDep, SessionDep, SettingsDep
from replyall.web.templating import MONTH_NAMES, DateFormatter, render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

PageQuery = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/", name="archive_list")
def archive_list(request: Request, session: SessionDep, reader: ReaderDep):
    stats = queries.archive_stats(session, readable_archives(session, reader))
    return render(request, "archives.html", {"stats": stats})


def thread_rows(session, threads, now) -> list[dict]:
    ids = [t.id for t in threads]
    starters = queries.first_messages(session, ids)
    humans = queries.human_reply_counts(session, ids)
    return [
        {
            "thread": t,
            "starter": starters.get(t.id),
            "new": present.is_new(t, now),
            "unanswered": present.is_unanswered(humans.get(t.id, 0)),
        }
        for t in threads
    ]


@router.get("/a/{slug}", name="archive_home")
def archive_home(
    request: Request, archive: ArchiveDep, view: ViewDep, session: SessionDep, settings: SettingsDep,
    clock: ClockDep, page: PageQuery = 1,
):
    per_page = settings.web.per_page
    threads, total = queries.thread_page(session, archive.id, page, per_page)
    if page > 1 and not threads:
        raise not_found()
    return render(request, "archive.html", {
        "archive": archive, "view": view, "section": "threads", "query": "",
        "rows": thread_rows(session, threads, clock.now()), "pager": present.pages(page, total, per_page),
    })


@router.get("/a/{slug}/months", name="archive_months")
def archive_months(request: Request, archive: ArchiveDep, view: ViewDep, session: SessionDep, settings: SettingsDep):
    dates = DateFormatter(settings)
    counts = Counter((d.year, d.month) for d in map(dates.local, queries.message_dates(session, archive.id)) if d)
    years: dict[int, list[tuple[int, int]]] = {}
    for (year, month), n in sorted(counts.items(), reverse=True):
        years.setdefault(year, []).append((month, n))
    return render(request, "months.html", {"archive": archive, "view": view, "section": "months",
                                           "years": sorted(years.items(), reverse=True)})


@router.get("/a/{slug}/{year:int}/{month:int}", name="archive_month")
def archive_month(
    request: Request, archive: ArchiveDep, view: ViewDep, session: SessionDep, settings: SettingsDep, clock: ClockDep,
    year: Annotated[int, Path(ge=1970, le=9999)], month: Annotated[int, Path(ge=1, le=12)],
):
    zone = ZoneInfo(settings.web.time_zone)
    start = datetime(year, month, 1, tzinfo=zone)
    nxt = (year + 1, 1) if month == 12 else (year, month + 1)
    prv = (year - 1, 12) if month == 1 else (year, month - 1)
    end = datetime(*nxt, 1, tzinfo=zone)
    threads = queries.threads_between(session, archive.id, start, end)
    return render(request, "month.html", {
        "archive": archive, "view": view, "year": year, "month": month, "month_name": MONTH_NAMES[month],
        "rows": thread_rows(session, threads, clock.now()), "prev": prv if prv[0] >= 1970 else None, "next": nxt,
    })


@router.get("/a/{slug}/people", name="archive_people")
def archive_people(request: Request, archive: ArchiveDep, view: ViewDep, session: SessionDep):
    return render(request, "people.html", {"archive": archive, "view": view, "section": "people",
                                           "people": queries.people(session, archive.id)})


PERSON_LIMIT = 200


@router.get("/a/{slug}/people/{key}", name="archive_person")
def archive_person(
    request: Request, archive: ArchiveDep, view: ViewDep, session: SessionDep,
    key: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")],
):
    person = queries.person_by_key(session, archive.id, key)
    if person is None:
        raise not_found("Person")
    messages = queries.messages_from(session, archive.id, person.address, PERSON_LIMIT)
    started = queries.threads_started_by(session, archive.id, person.address)
    return render(request, "person.html", {"archive": archive, "view": view, "person": person,
                                           "messages": messages, "started": started, "limit": PERSON_LIMIT})


@router.get("/a/{slug}/download", name="archive_export_form")
def archive_export_form(request: Request, archive: ArchiveDep, view: ViewDep):
    return render(request, "export.html", {"archive": archive, "view": view, "section": "export"})
