"""The administration area (/admin): failed mail, hide/redact/erase, thread repair, erasure requests, audit.

Only addresses in auth.admins get past AdminDep; everyone else gets the same 404 as
for any page that does not exist. Every form carries a CSRF token, every change is
one `db.write` transaction with its audit entry, and every POST answers 303 to the
page it came from (post/redirect/get).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from replyall.admin import audit, bans, moderation, repairs
from replyall.db.models import Archive, ErasureRequest, Message, RawMessage, Thread, ThreadAlias
from replyall.web import auth
from replyall.web.deps import ClockDep, DbDep, SessionDep
from replyall.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
Csrf = [Depends(auth.check_csrf)]
Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Hash = Annotated[str, Path(pattern=r"^[A-Za-z2-7]{32}$")]
Key = Annotated[str, Path(pattern=r"^[A-Za-z2-7]{16}$")]
_THREAD_IN_URL = re.compile(r"(?:/t/)?([A-Za-z2-7]{16})(?:[/?#.]|$)")


def _page(request: Request, name: str, context: dict, status_code: int = 200) -> Response:
    return render(request, name, {"csrf_token": auth.csrf_token(request), **context}, status_code=status_code)


def _back(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def _message(session: Session, slug: str, mid_hash: str) -> Message:
    message = session.scalars(
        select(Message).join(Archive, Archive.id == Message.archive_id).where(
            Archive.slug == slug, Message.message_id_hash == mid_hash.upper()
        )
    ).first()
    if message is None:
        raise HTTPException(404, "Message not found")
    return message


def thread_by_key(session: Session, key: str) -> Thread | None:
    key = key.lower()
    thread = session.scalars(select(Thread).where(Thread.key == key)).first()
    if thread is None:
        alias = session.get(ThreadAlias, key)
        thread = session.get(Thread, alias.thread_id) if alias is not None else None
    return thread


def _thread(session: Session, key: str) -> Thread:
    thread = thread_by_key(session, key)
    if thread is None:
        raise HTTPException(404, "Conversation not found")
    return thread


def _target_key(value: str) -> str:
    """A thread key typed by hand or pasted as a whole thread URL."""
    found = _THREAD_IN_URL.search(value.strip())
    if not found:
        raise HTTPException(400, "Give the other conversation's address (…/t/KEY) or its 16-character key.")
    return found.group(1)


@router.get("", name="admin_home", response_class=HTMLResponse)
def admin_home(request: Request, user: auth.AdminDep, session: SessionDep):
    counts = dict(session.execute(select(RawMessage.status, func.count()).group_by(RawMessage.status)).all())
    pending = session.scalar(select(func.count()).select_from(ErasureRequest).where(ErasureRequest.status == "pending"))
    return _page(request, "admin/index.html", {
        "user": user, "counts": counts, "pending_erasures": pending or 0,
        "entries": audit.recent(session, limit=20), "slugs": moderation.archive_slugs(session),
    })


@router.get("/failed", name="admin_failed", response_class=HTMLResponse)
def admin_failed(request: Request, user: auth.AdminDep, session: SessionDep, status: str = "failed"):
    if status not in ("failed", "discarded", "pending"):
        raise HTTPException(400, "status must be failed, discarded or pending")
    rows = session.execute(
        select(RawMessage.id, RawMessage.archive_id, RawMessage.message_id, RawMessage.envelope_from,
               RawMessage.received_at, RawMessage.attempts, RawMessage.error, RawMessage.size)
        .where(RawMessage.status == status).order_by(RawMessage.received_at.desc()).limit(500)
    ).all()
    return _page(request, "admin/failed.html", {
        "user": user, "rows": rows, "status": status, "slugs": moderation.archive_slugs(session),
        "done": request.query_params.get("done", ""),
    })


@router.post("/failed/{raw_id}/retry", name="admin_retry", dependencies=Csrf)
async def admin_retry(raw_id: int, user: auth.AdminDep, db: DbDep, clock: ClockDep):
    def run(session: Session) -> str:
        raw = session.get(RawMessage, raw_id)
        if raw is None or raw.status == "done":
            raise HTTPException(404, "No such failed message")
        status = raw.status
        moderation.retry(session, clock, user.address, raw)
        return status

    status = await db.write(run)
    return RedirectResponse(f"/admin/failed?status={status}&done=retried", status_code=303)


@router.get("/m/{mid_hash}", name="admin_goto_message")
def admin_goto_message(mid_hash: Hash, user: auth.AdminDep, session: SessionDep):
    """From a message's public permalink to its admin page (hashes are per archive: first found)."""
    slug = session.scalar(
        select(Archive.slug).join(Message, Message.archive_id == Archive.id)
        .where(Message.message_id_hash == mid_hash.upper()).order_by(Archive.slug).limit(1)
    )
    if slug is None:
        raise HTTPException(404, "Message not found")
    return RedirectResponse(f"/admin/{slug}/m/{mid_hash.upper()}", status_code=303)


@router.get("/{slug}/m/{mid_hash}", name="admin_message", response_class=HTMLResponse)
def admin_message(request: Request, slug: Slug, mid_hash: Hash, user: auth.AdminDep, session: SessionDep):
    message = _message(session, slug, mid_hash)
    thread = session.get(Thread, message.thread_id)
    parent = session.get(Message, message.parent_id) if message.parent_id else None
    return _page(request, "admin/message.html", {
        "user": user, "slug": slug, "message": message, "thread": thread, "parent": parent,
        "sender": moderation.sender_summary(session, message.archive_id, message.from_address),
        "ban": bans.ban_for(session, message.archive_id, message.from_address),
        "repairs": repairs.history(session, message.archive_id, [message.message_id_hash]).get(message.message_id_hash, []),
        "entries": audit.recent(session, limit=50, target=moderation.message_target(message)),
        "done": request.query_params.get("done", ""),
    })


def _message_action(action: str):
    async def handler(
        request: Request, slug: Slug, mid_hash: Hash, user: auth.AdminDep, db: DbDep, clock: ClockDep,
        subject: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "", target: Annotated[str, Form()] = "",
        ban: Annotated[str, Form()] = "",
    ):
        if action == "erase" and confirm != "yes":
            raise HTTPException(400, "Tick the box to confirm that the message is to be deleted for good.")

        def run(session: Session) -> str:
            message = _message(session, slug, mid_hash)
            if message.is_ghost:
                raise HTTPException(400, "This is a placeholder for a message that never arrived.")
            try:
                if action in ("hide", "unhide"):
                    moderation.set_hidden(session, clock, user.address, message, action == "hide")
                elif action in ("hide-sender", "unhide-sender"):
                    moderation.set_sender_hidden(session, clock, user.address, message.archive_id, message.from_address,
                                                 action == "hide-sender")
                    if action == "hide-sender" and ban == "yes":
                        bans.ban(session, clock, user.address, message.archive_id, message.from_address)
                elif action == "ban":
                    bans.ban(session, clock, user.address, message.archive_id, message.from_address)
                elif action == "unban":
                    found = bans.ban_for(session, message.archive_id, message.from_address)
                    if found is not None:
                        bans.unban(session, clock, user.address, message.archive_id, found.pattern)
                elif action == "redact":
                    moderation.redact(session, clock, user.address, message, subject=subject == "yes")
                elif action == "erase":
                    thread = session.get(Thread, message.thread_id)
                    moderation.erase(session, clock, user.address, message)
                    alive = thread is not None and session.get(Thread, thread.id) is not None
                    return f"/admin/t/{thread.key}" if alive else "/admin"
                elif action == "move":
                    moved_to = _thread(session, _target_key(target))
                    repairs.move_message(session, clock, user.address, message, moved_to)
                    audit.record(session, clock, user.address, "move", moderation.message_target(message),
                                 archive_id=message.archive_id, detail={"to": moved_to.key})
                elif action == "split":
                    new = repairs.split(session, clock, user.address, message)
                    audit.record(session, clock, user.address, "split", moderation.message_target(message),
                                 archive_id=message.archive_id, detail={"new": new.key})
            except (repairs.RepairError, ValueError) as exc:
                raise HTTPException(400, str(exc)) from None
            return f"/admin/{slug}/m/{message.message_id_hash}"

        where = await db.write(run)
        return _back(where, action)

    handler.__name__ = f"admin_message_{action.replace('-', '_')}"
    return handler


for _action in ("hide", "unhide", "hide-sender", "unhide-sender", "ban", "unban", "redact", "erase", "move", "split"):
    router.add_api_route(
        f"/{{slug}}/m/{{mid_hash}}/{_action}", _message_action(_action), methods=["POST"],
        name=f"admin_{_action.replace('-', '_')}", dependencies=Csrf,
    )


@router.get("/t/{key}", name="admin_thread", response_class=HTMLResponse)
def admin_thread(request: Request, key: Key, user: auth.AdminDep, session: SessionDep):
    thread = _thread(session, key)
    messages = list(
        session.scalars(select(Message).where(Message.thread_id == thread.id).order_by(Message.date, Message.id))
    )
    archive = session.get(Archive, thread.archive_id)
    by_id = {m.id: m for m in messages}
    real = [m for m in messages if not m.is_ghost]
    return _page(request, "admin/thread.html", {
        "user": user, "thread": thread, "archive": archive, "messages": messages, "by_id": by_id,
        "real": len(real), "hidden": sum(m.hidden for m in real),
        "repairs": repairs.history(session, thread.archive_id, [m.message_id_hash for m in messages]),
        "done": request.query_params.get("done", ""),
    })


@router.post("/t/{key}/merge", name="admin_merge", dependencies=Csrf)
async def admin_merge(key: Key, user: auth.AdminDep, db: DbDep, clock: ClockDep, target: Annotated[str, Form()] = ""):
    other_key = _target_key(target)

    def run(session: Session) -> str:
        a, b = _thread(session, key), _thread(session, other_key)
        keys = (a.key, b.key)
        try:
            kept = repairs.merge(session, clock, user.address, a, b)
        except repairs.RepairError as exc:
            raise HTTPException(400, str(exc)) from None
        audit.record(session, clock, user.address, "merge", f"thread:{kept.key}", archive_id=kept.archive_id,
                     detail={"threads": list(keys)})
        return kept.key

    kept = await db.write(run)
    return _back(f"/admin/t/{kept}", "merge")


def _thread_hiding(hidden: bool):
    async def handler(key: Key, user: auth.AdminDep, db: DbDep, clock: ClockDep):
        def run(session: Session) -> str:
            thread = _thread(session, key)
            moderation.set_thread_hidden(session, clock, user.address, thread, hidden)
            return thread.key

        kept = await db.write(run)
        return _back(f"/admin/t/{kept}", "hide conversation" if hidden else "show conversation")

    handler.__name__ = f"admin_thread_{'hide' if hidden else 'unhide'}"
    return handler


# Spam and misdirected mail come as whole conversations: one form hides all of it.
for _hidden in (True, False):
    router.add_api_route(
        f"/t/{{key}}/{'hide' if _hidden else 'unhide'}", _thread_hiding(_hidden), methods=["POST"],
        name=f"admin_thread_{'hide' if _hidden else 'unhide'}", dependencies=Csrf,
    )


@router.get("/erasure", name="admin_erasure", response_class=HTMLResponse)
def admin_erasure(request: Request, user: auth.AdminDep, session: SessionDep):
    requests = list(session.scalars(select(ErasureRequest).order_by(ErasureRequest.created_at.desc()).limit(500)))
    counts = {
        r.id: session.scalar(select(func.count()).select_from(Message).where(
            Message.from_address == r.address, Message.is_ghost.is_(False)))
        for r in requests if r.status == "pending"
    }
    return _page(request, "admin/erasure.html", {
        "user": user, "requests": requests, "counts": counts, "done": request.query_params.get("done", ""),
    })


@router.post("/erasure/{request_id}/{decision}", name="admin_erasure_decide", dependencies=Csrf)
async def admin_erasure_decide(request_id: int, decision: str, user: auth.AdminDep, db: DbDep, clock: ClockDep):
    if decision not in ("approve", "refuse"):
        raise HTTPException(404, "Page not found")

    def run(session: Session) -> None:
        req = session.get(ErasureRequest, request_id)
        if req is None:
            raise HTTPException(404, "No such request")
        try:
            if decision == "approve":
                moderation.approve_erasure(session, clock, user.address, req)
            else:
                moderation.refuse_erasure(session, clock, user.address, req)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None

    await db.write(run)
    return _back("/admin/erasure", decision)


@router.get("/audit", name="admin_audit", response_class=HTMLResponse)
def admin_audit(request: Request, user: auth.AdminDep, session: SessionDep):
    return _page(request, "admin/audit.html", {
        "user": user, "entries": audit.recent(session, limit=1000), "slugs": moderation.archive_slugs(session),
    })
