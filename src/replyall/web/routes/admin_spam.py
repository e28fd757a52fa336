"""Spam triage for administrators: an archive's conversations with bulk hiding, and sender bans.

Spam on a real list comes from one-off addresses, each opening its own conversation
(on jailhouse-dev most spam threads have a sender of their own), so hiding by sender
does not reach it: these pages let an administrator tick several conversations and
hide them in one step, and ban addresses or whole domains. Same rules as admin.py:
administrators only, CSRF on every form, one transaction per change, 303 back.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from replyall.admin import bans, moderation
from replyall.db.models import Archive, Message, Thread
from replyall.web import auth, present
from replyall.web.deps import ClockDep, DbDep, SessionDep
from replyall.web.queries import first_messages
from replyall.web.routes.admin import Csrf, Slug, _back, _page

router = APIRouter(prefix="/admin", include_in_schema=False)

PER_PAGE = 50
#: Which conversations the list shows: what readers see, those of one message (spam is rarely
#: answered), those hidden.
VIEWS = {"shown": "All shown", "single": "One message only", "hidden": "Hidden"}


def _archive(session: Session, slug: str) -> Archive:
    archive = session.scalars(select(Archive).where(Archive.slug == slug)).first()
    if archive is None:
        raise HTTPException(404, "Archive not found")
    return archive


def _where(archive_id: int, view: str):
    if view == "single":
        return and_(Thread.archive_id == archive_id, Thread.message_count == 1)
    if view == "hidden":
        # Nothing readable left, yet real messages: what moderators hid (not a thread of placeholders).
        real = exists().where(Message.thread_id == Thread.id, Message.is_ghost.is_(False))
        return and_(Thread.archive_id == archive_id, Thread.message_count == 0, real)
    return and_(Thread.archive_id == archive_id, Thread.message_count > 0)


@router.get("/{slug}/conversations", name="admin_conversations", response_class=HTMLResponse)
def admin_conversations(
    request: Request, slug: Slug, user: auth.AdminDep, session: SessionDep,
    view: Annotated[str, Query()] = "shown", page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    tick: Annotated[str, Query()] = "",
):
    if view not in VIEWS:
        raise HTTPException(400, "view must be shown, single or hidden")
    archive = _archive(session, slug)
    where = _where(archive.id, view)
    total = session.scalar(select(func.count()).select_from(Thread).where(where)) or 0
    threads = list(session.scalars(
        select(Thread).where(where).order_by(Thread.last_activity_at.desc().nulls_last(), Thread.id.desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ))
    pager = present.pages(page, total, PER_PAGE)
    if page > pager["last"]:
        # Hiding the last page's conversations empties it: go to the new last page.
        query = {"view": view, "page": pager["last"], **({"done": d} if (d := request.query_params.get("done")) else {})}
        return RedirectResponse(f"/admin/{slug}/conversations?{urlencode(query)}", status_code=303)
    return _page(request, "admin/conversations.html", {
        "user": user, "archive": archive, "threads": threads, "view": view, "views": VIEWS,
        "starters": first_messages(session, [t.id for t in threads]),
        "pager": pager, "done": request.query_params.get("done", ""),
        # "Tick them all" without JavaScript: the same page with every box ticked.
        "tick_all": tick == "all",
    })


@router.post("/{slug}/conversations/hide", name="admin_conversations_hide", dependencies=Csrf)
async def admin_conversations_hide(
    slug: Slug, user: auth.AdminDep, db: DbDep, clock: ClockDep,
    key: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    hidden: Annotated[str, Form()] = "yes", view: Annotated[str, Form()] = "shown", page: Annotated[int, Form()] = 1,
):
    if not key:
        raise HTTPException(400, "Tick at least one conversation, then choose what to do with them.")
    if len(key) > PER_PAGE:
        raise HTTPException(400, f"At most {PER_PAGE} conversations at a time.")
    keys = {k.strip().lower() for k in key}

    def run(session: Session) -> int:
        archive = _archive(session, slug)
        threads = list(session.scalars(select(Thread).where(Thread.archive_id == archive.id, Thread.key.in_(keys))))
        if len(threads) != len(keys):
            raise HTTPException(400, "Some of the ticked conversations are no longer in this archive; reload the page.")
        return moderation.set_threads_hidden(session, clock, user.address, threads, hidden == "yes")

    await db.write(run)
    verb = "hide" if hidden == "yes" else "show"
    done = f"{verb} {len(keys)} conversation{'' if len(keys) == 1 else 's'}"
    query = urlencode({"view": view if view in VIEWS else "shown", "page": max(1, page), "done": done})
    return RedirectResponse(f"/admin/{slug}/conversations?{query}", status_code=303)


@router.get("/bans", name="admin_bans", response_class=HTMLResponse)
def admin_bans(request: Request, user: auth.AdminDep, session: SessionDep):
    archives = list(session.scalars(select(Archive).order_by(Archive.slug)))
    return _page(request, "admin/bans.html", {
        "user": user, "bans": bans.all_bans(session), "archives": archives,
        "done": request.query_params.get("done", ""),
    })


def _ban_change(add: bool):
    async def handler(
        user: auth.AdminDep, db: DbDep, clock: ClockDep,
        archive: Annotated[str, Form()] = "", pattern: Annotated[str, Form()] = "",
    ):
        def run(session: Session) -> bool:
            archive_id = session.scalar(select(Archive.id).where(Archive.slug == archive))
            if archive_id is None:
                raise HTTPException(400, "Choose the archive the ban is for.")
            try:
                change = bans.ban if add else bans.unban
                return change(session, clock, user.address, archive_id, pattern)
            except bans.BanError as exc:
                raise HTTPException(400, str(exc)) from None

        changed = await db.write(run)
        return _back("/admin/bans", ("ban" if add else "lift ban") if changed else "nothing to change")

    handler.__name__ = f"admin_bans_{'add' if add else 'lift'}"
    return handler


router.add_api_route("/bans/add", _ban_change(True), methods=["POST"], name="admin_bans_add", dependencies=Csrf)
router.add_api_route("/bans/lift", _ban_change(False), methods=["POST"], name="admin_bans_lift", dependencies=Csrf)
