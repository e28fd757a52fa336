"""A signed-in person's own data (/me): the messages they sent, as mbox, and asking for erasure."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from sqlalchemy import select

from replyall.admin import moderation
from replyall.db.models import Archive, ErasureRequest, Message, RawMessage
from replyall.web import auth
from replyall.web.deps import ClockDep, DbDep, SessionDep
from replyall.web.mbox import mbox_entry
from replyall.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/me", name="my_data", response_class=HTMLResponse)
def my_data(request: Request, user: auth.SignedInDep, session: SessionDep):
    messages = moderation.messages_from(session, user.address)
    archives = dict(session.execute(select(Archive.id, Archive.name)).all())
    slugs = dict(session.execute(select(Archive.id, Archive.slug)).all())
    requests = list(
        session.scalars(
            select(ErasureRequest).where(ErasureRequest.address == user.address).order_by(ErasureRequest.created_at.desc())
        )
    )
    context = {
        "csrf_token": auth.csrf_token(request), "user": user, "messages": messages, "archives": archives,
        "slugs": slugs, "requests": requests, "pending": any(r.status == "pending" for r in requests),
        "done": request.query_params.get("done", ""),
    }
    return render(request, "me/index.html", context)


@router.get("/me/messages.mbox", name="my_messages_mbox")
def my_messages_mbox(user: auth.SignedInDep, db: DbDep):
    # The person's own mail, whichever archive it is in (they wrote it): the raw bytes
    # as received, one mboxrd entry each, streamed with its own read session.
    def stream():
        with db.reader() as session:
            rows = session.execute(
                select(RawMessage.raw, RawMessage.envelope_from, RawMessage.received_at)
                .join(Message, Message.raw_id == RawMessage.id)
                .where(Message.from_address == user.address, Message.is_ghost.is_(False))
                .order_by(Message.date, Message.id)
                .execution_options(yield_per=100)
            )
            for raw, envelope_from, received in rows:
                yield mbox_entry(raw, envelope_from, received)

    filename = "my-messages.mbox"
    return StreamingResponse(
        stream(), media_type="application/mbox", headers={"content-disposition": f'attachment; filename="{filename}"'}
    )


@router.post("/me/erasure", name="my_erasure", dependencies=[Depends(auth.check_csrf)])
async def my_erasure(user: auth.SignedInDep, db: DbDep, clock: ClockDep):
    await db.write(lambda session: moderation.request_erasure(session, clock, user.address))
    return RedirectResponse("/me?done=requested", status_code=303)
