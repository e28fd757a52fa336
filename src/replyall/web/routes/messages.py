"""Message permalinks /m/<hash> (stable forever), raw .eml and attachment downloads."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from replyall.db.models import Archive, Message, Thread
from replyall.web import queries
from replyall.web.access import ReaderDep, check_originals, check_readable, make_view, not_found, readable_archive_ids
from replyall.web.deps import SessionDep, SettingsDep
from replyall.web.shown import Presenter
from replyall.web.templating import render

router = APIRouter(include_in_schema=False)

# message_id_hash is base32 (A-Z, 2-7), 32 characters; accept lower case from hand-typed links.
HashPath = Annotated[str, Path(pattern=r"^[A-Za-z2-7]{32}$")]


def readable_message(session: Session, mid_hash: str, reader) -> tuple[Message, Archive]:
    message = queries.message_by_hash(session, mid_hash, readable_archive_ids(session, reader))
    if message is None:
        raise not_found("Message")
    archive = check_readable(session.get(Archive, message.archive_id), reader, "Message")
    return message, archive


def eml_response(raw: bytes, mid_hash: str) -> Response:
    # message/rfc822 as an attachment: browsers must not render mail as a page (it is
    # attacker-written); nosniff is set for every response by the guard middleware.
    return Response(
        raw, media_type="message/rfc822",
        headers={"content-disposition": f'attachment; filename="{mid_hash}.eml"'},
    )


@router.get("/m/{mid_hash}.eml", name="message_raw")
def message_raw(mid_hash: HashPath, session: SessionDep, reader: ReaderDep, settings: SettingsDep):
    message, archive = readable_message(session, mid_hash, reader)
    raw = queries.raw_bytes(session, message.raw_id)
    if raw is None or message.hidden:
        raise not_found("Message")
    check_originals(archive, reader, settings.web.obfuscate_addresses)
    return eml_response(raw, message.message_id_hash)


@router.get("/m/{mid_hash}/attachments/{position}", name="message_attachment")
def message_attachment(
    mid_hash: HashPath, position: Annotated[int, Path(ge=0, le=10_000)], session: SessionDep, reader: ReaderDep
):
    message, _archive = readable_message(session, mid_hash, reader)
    found = queries.attachment(session, message.id, position)
    if found is None or message.hidden:
        raise not_found("Attachment")
    filename = found.filename or f"attachment-{position + 1}"
    # Always a download, never rendered inline: an attached HTML or SVG file would
    # otherwise run in our origin. RFC 6266 filename* carries non-ASCII names.
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace('"', "'").replace("?", "_")
    return Response(
        found.data,
        media_type=found.content_type if "/" in found.content_type else "application/octet-stream",
        headers={
            "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        },
    )


@router.get("/m/{mid_hash}", name="message_page", response_class=HTMLResponse)
def message_page(request: Request, mid_hash: HashPath, session: SessionDep, reader: ReaderDep, settings: SettingsDep):
    message, archive = readable_message(session, mid_hash, reader)
    if mid_hash != message.message_id_hash:
        from fastapi.responses import RedirectResponse

        return RedirectResponse(request.app.url_path_for("message_page", mid_hash=message.message_id_hash), status_code=301)
    thread = session.get(Thread, message.thread_id)
    parent = session.get(Message, message.parent_id) if message.parent_id else None
    if parent is not None and parent.is_ghost:
        parent = None
    view = make_view(archive, reader, settings)
    # The permalink always offers the text before cleaning, and never repeats the subject line.
    presenter = Presenter.for_request(request, view, thread.subject, always_original=True)
    return render(request, "message.html", {
        "archive": archive, "thread": thread, "message": message, "parent": parent, "view": view,
        "shown": presenter.one(message, 0, message.attachments, first=True, subject=False),
    })
