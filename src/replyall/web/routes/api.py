"""JSON API v1 (documented at /api/docs): archives, their threads, threads, messages and raw messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from replyall.db.models import Archive, Message, Thread
from replyall.mail.pictures import ATTACHED, roles
from replyall.web import present, queries
from replyall.web.access import ArchiveDep, ReaderDep, View, check_originals, make_view, not_found, readable_archives
from replyall.web.deps import SessionDep, SettingsDep
from replyall.web.routes.messages import eml_response
from replyall.web.routes.threads import readable_thread

router = APIRouter(prefix="/api/v1", tags=["archive"])

NOT_FOUND = {404: {"description": "No such item, or not one this reader may see", "model": None}}


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class ArchiveOut(_Out):
    slug: str
    name: str
    address: list[str] = Field(description="Addresses that deliver to this archive")
    message_count: int
    thread_count: int


class ThreadSummary(_Out):
    id: str = Field(description="Stable public id of the thread (as in /t/{id})")
    subject: str
    message_count: int
    participants: int = Field(description="Number of distinct senders")
    started_at: datetime | None
    last_activity_at: datetime | None


class ThreadPage(_Out):
    threads: list[ThreadSummary]
    next: str | None = Field(description="URL of the next page, or null on the last page")


class Person(_Out):
    name: str
    address: str = Field(description="Shown as 'local at domain' when the archive hides addresses")


class AttachmentOut(_Out):
    position: int
    filename: str
    content_type: str
    size: int
    url: str
    embedded: bool = Field(description="A picture the message's HTML lays out (a signature's logo, a pasted "
                                       "screenshot) rather than a file the sender attached")
    role: Literal["attached", "pasted", "layout"] = Field(
        description="attached: a file the sender attached; pasted: a picture laid out in the body, where its "
                    "\"[image: name]\" mark stands; layout: a picture laid out elsewhere (a signature's logo, a "
                    "picture in the quoted text)")


class MessageOut(_Out):
    id: str = Field(description="Permalink hash, as in /m/{id}")
    message_id: str = Field(description="Message-ID without angle brackets")
    parent: str | None = Field(description="message_id of the message this replies to, or null")
    from_: Person = Field(alias="from")
    date: datetime | None
    subject: str
    body: str
    quote: str
    signature: str
    disclaimer: str
    auto: bool = Field(description="True for auto-replies, bounces, recalls and read receipts")
    kind: str
    attachments: list[AttachmentOut]
    thread_reason: str
    thread: str = Field(description="id of the thread")


class ThreadOut(_Out):
    id: str
    subject: str
    archive: str = Field(description="slug of the archive")
    messages: list[MessageOut]


def _summary(t) -> ThreadSummary:
    return ThreadSummary(
        id=t.key, subject=t.subject, message_count=t.message_count, participants=t.participant_count,
        started_at=t.started_at, last_activity_at=t.last_activity_at,
    )


def _message(request: Request, m: Message, view: View, thread_key: str, parent_mid: str | None) -> MessageOut:
    hidden = m.hidden
    return MessageOut(
        id=m.message_id_hash, message_id=m.message_id, parent=parent_mid,
        from_=Person(name=m.from_name, address=view.address(m.from_address)),
        date=m.date, subject="" if hidden else m.subject,
        body="" if hidden else view.text(m.body), quote="" if hidden else view.text(m.quote),
        signature="" if hidden else view.text(m.signature), disclaimer="" if hidden else view.text(m.disclaimer),
        auto=present.is_auto(m), kind=m.kind,
        attachments=[] if hidden else [
            AttachmentOut(position=a.position, filename=a.filename, content_type=a.content_type, size=a.size,
                          url=str(request.url_for("message_attachment", mid_hash=m.message_id_hash, position=a.position)),
                          embedded=role != ATTACHED, role=role)
            for a, role in zip(m.attachments, roles(m.body, m.original, m.attachments))
        ],
        thread_reason=m.thread_reason, thread=thread_key,
    )


@router.get("/archives", response_model=list[ArchiveOut], summary="Archives this reader may see")
def api_archives(session: SessionDep, reader: ReaderDep, settings: SettingsDep) -> list[ArchiveOut]:
    out = []
    for s in queries.archive_stats(session, readable_archives(session, reader)):
        conf = settings.archive(s.archive.slug)
        out.append(ArchiveOut(slug=s.archive.slug, name=s.archive.name, address=list(conf.address) if conf else [],
                              message_count=s.message_count, thread_count=s.thread_count))
    return out


@router.get("/archives/{slug}/threads", response_model=ThreadPage, responses=NOT_FOUND,
            summary="Threads of an archive, latest activity first")
def api_threads(
    request: Request, archive: ArchiveDep, session: SessionDep, settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> ThreadPage:
    size = per_page or settings.web.per_page
    threads, total = queries.thread_page(session, archive.id, page, size)
    nxt = None
    if page * size < total:
        nxt = str(request.url.include_query_params(page=page + 1, per_page=size))
    return ThreadPage(threads=[_summary(t) for t in threads], next=nxt)


@router.get("/threads/{thread_id}", response_model=ThreadOut, response_model_by_alias=True, responses=NOT_FOUND,
            summary="A thread with all its messages in date order")
def api_thread(request: Request, thread_id: str, session: SessionDep, reader: ReaderDep, settings: SettingsDep) -> ThreadOut:
    thread, archive = readable_thread(session, thread_id, reader)
    view = make_view(archive, reader, settings)
    messages = queries.thread_messages(session, thread.id)
    mids = {m.id: m.message_id for m in messages}
    return ThreadOut(
        id=thread.key, subject=thread.subject, archive=archive.slug,
        messages=[_message(request, m, view, thread.key, mids.get(m.parent_id)) for m in messages if not m.is_ghost],
    )


def _by_message_id(session, message_id: str, reader) -> tuple[Message, Archive]:
    message = queries.message_by_message_id(session, message_id, [a.id for a in readable_archives(session, reader)])
    if message is None:
        raise not_found("Message")
    archive = session.get(Archive, message.archive_id)
    assert archive is not None
    return message, archive


@router.get("/messages/{message_id:path}/raw", responses={**NOT_FOUND, 200: {"content": {"message/rfc822": {}},
            "description": "The message exactly as received"},
            403: {"description": "Addresses are hidden from anonymous readers of this public archive; sign in"}},
            response_class=Response,
            summary="The original message (RFC 5322 bytes)")
def api_message_raw(message_id: str, session: SessionDep, reader: ReaderDep, settings: SettingsDep):
    message, archive = _by_message_id(session, message_id, reader)
    raw = queries.raw_bytes(session, message.raw_id)
    if raw is None or message.hidden:
        raise not_found("Message")
    check_originals(archive, reader, settings.web.obfuscate_addresses)
    return eml_response(raw, message.message_id_hash)


@router.get("/messages/{message_id:path}", response_model=MessageOut, response_model_by_alias=True,
            responses=NOT_FOUND, summary="One message by its Message-ID (with or without angle brackets)")
def api_message(request: Request, message_id: str, session: SessionDep, reader: ReaderDep,
                settings: SettingsDep) -> MessageOut:
    message, archive = _by_message_id(session, message_id, reader)
    parent = session.scalar(select(Message.message_id).where(Message.id == message.parent_id)) if message.parent_id else None
    thread_key = session.scalar(select(Thread.key).where(Thread.id == message.thread_id))
    return _message(request, message, make_view(archive, reader, settings), thread_key or "", parent)
