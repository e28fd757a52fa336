"""Step: write the derived message, its attachments and the thread's counters."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from replyall.db.models import Attachment, Message, Thread, ThreadParticipant
from replyall.mail.subject import normalize_subject
from replyall.pipeline.context import Context


def subject_key(subject: str) -> str:
    norm = normalize_subject(subject or "")
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:32] if norm else ""


def run(ctx: Context) -> None:
    parsed, cleaned, raw, thread = ctx.parsed, ctx.cleaned, ctx.raw, ctx.thread
    assert parsed is not None and cleaned is not None and thread is not None
    message = ctx.message or Message(archive_id=ctx.archive.id, message_id=raw.message_id, message_id_hash=raw.message_id_hash)
    name, address = parsed.from_ or ("", "")
    message.raw_id = raw.id
    message.thread = thread
    message.parent_id = ctx.parent.id if ctx.parent is not None else None
    message.is_ghost = False
    message.thread_reason = ctx.thread_reason
    message.in_reply_to = " ".join(parsed.in_reply_to) or None
    message.references = list(parsed.references)
    message.subject = parsed.subject or ""
    message.subject_key = subject_key(message.subject)
    message.from_name, message.from_address = name or "", (address or "").lower()
    message.to = [list(pair) for pair in parsed.to]
    message.cc = [list(pair) for pair in parsed.cc]
    message.date, message.date_offset = parsed.date, parsed.date_offset
    message.received_at = raw.received_at
    message.body, message.quote = cleaned.body, cleaned.quote
    message.signature, message.disclaimer, message.original = cleaned.signature, cleaned.disclaimer, cleaned.original
    message.kind = ctx.kind
    message.defects = list(parsed.defects)
    message.delivery_count = raw.delivery_count
    message.attachments = [
        Attachment(
            position=i,
            filename=att.filename or "",
            content_type=att.content_type or "application/octet-stream",
            size=len(att.payload),
            content_id=att.content_id,
            sha256=hashlib.sha256(att.payload).hexdigest(),
            data=att.payload,
        )
        for i, att in enumerate(parsed.attachments)
    ]
    message.has_attachments = bool(message.attachments)
    ctx.session.add(message)
    ctx.session.flush()
    ctx.message = message
    refresh_thread(ctx, thread, message)


def refresh_thread(ctx: Context, thread: Thread, message: Message) -> None:
    """Counters and participants after a message joins: a few indexed queries, no scan."""
    when = message.date or message.received_at
    if thread.started_at is None or (when and when < thread.started_at):
        thread.started_at = when
        thread.subject = message.subject
        thread.subject_key = message.subject_key
    if when and (thread.last_activity_at is None or when > thread.last_activity_at):
        thread.last_activity_at = when
    addresses = {message.from_address} | {a.lower() for _, a in message.to + message.cc if a}
    known = set(
        ctx.session.scalars(
            select(ThreadParticipant.address).where(
                ThreadParticipant.thread_id == thread.id, ThreadParticipant.address.in_(addresses)
            )
        )
    )
    for address in sorted(addresses - known - {""}):
        ctx.session.add(ThreadParticipant(thread_id=thread.id, address=address))
    thread.message_count = ctx.session.scalar(
        select(func.count()).select_from(Message).where(Message.thread_id == thread.id, Message.is_ghost.is_(False))
    ) or 0
    thread.participant_count = ctx.session.scalar(
        select(func.count(func.distinct(Message.from_address))).where(
            Message.thread_id == thread.id, Message.is_ghost.is_(False)
        )
    ) or 0
