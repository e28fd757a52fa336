"""Step: write the derived message, its attachments and the thread's counters."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from replyall.admin import audit
from replyall.db.models import Attachment, Message, Thread, ThreadParticipant
from replyall.mail.pictures import shared_files
from replyall.mail.subject import thread_title
from replyall.members import message_addresses, note_members
from replyall.pipeline.adopt import adopt
from replyall.pipeline.context import Context
from replyall.threading.rules import subject_key as thread_subject_key


def subject_key(subject: str) -> str:
    """The threading key of a subject (see replyall.threading.rules.subject_key)."""
    return thread_subject_key(subject)


def run(ctx: Context) -> None:
    parsed, cleaned, raw, thread = ctx.parsed, ctx.cleaned, ctx.raw, ctx.thread
    assert parsed is not None and cleaned is not None and thread is not None
    message = ctx.message or Message(archive_id=ctx.archive.id, message_id=raw.message_id, message_id_hash=raw.message_id_hash)
    # A message already shown (a re-run of the pipeline on the same raw) is not counted twice.
    counted = message.id is not None and not message.is_ghost and message.duplicate_of_id is None
    arriving = message.id is None or message.is_ghost
    was_duplicate = message.duplicate_of_id is not None
    name, address = parsed.from_ or ("", "")
    threading = ctx.extra.get("threading", {})
    duplicate_of = ctx.extra.get("duplicate_of")
    message.raw_id = raw.id
    # The id, not the relationship: merges move rows with bulk UPDATEs, and a stale
    # relationship would write the old thread back on the next flush.
    message.thread_id = thread.id
    message.parent_id = ctx.parent.id if ctx.parent is not None else None
    message.is_ghost = False
    message.thread_reason = ctx.thread_reason
    message.duplicate_of_id = duplicate_of.id if duplicate_of is not None else None
    message.thread_index = threading.get("thread_index")
    message.conversation_key = threading.get("conversation_key")
    message.in_reply_to = " ".join(parsed.in_reply_to) or None
    message.references = list(parsed.references)
    message.subject = parsed.subject or ""
    message.subject_key = threading.get("subject_key") or subject_key(message.subject)
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
    # has:attachment finds files people attached, not the logos under every Outlook reply.
    message.has_attachments = bool(shared_files(message.body, message.original, message.attachments))
    if arriving and ctx.ban is not None:
        message.hidden = True  # a banned sender's mail; a re-run keeps what moderators chose since
    ctx.session.add(message)
    ctx.session.flush()
    ctx.message = message
    if arriving and ctx.ban is not None:
        audit.record(ctx.session, ctx.clock, ctx.ban.created_by, "hide-banned", f"message:{message.message_id_hash}",
                     archive_id=message.archive_id, detail={"ban": ctx.ban.pattern})
    if duplicate_of is not None:
        if not was_duplicate:
            # One more copy of the kept message (dedupe.py); the copy's raw stays stored.
            duplicate_of.delivery_count = Message.delivery_count + message.delivery_count
            ctx.session.flush()
        return
    refresh_thread(ctx, thread, message, counted=counted)
    adopt(ctx)
    # Who may read a members-only archive is learned from its mail (replyall.members).
    note_members(ctx.session, ctx.archive.id, message_addresses(message), message.date or message.received_at)


def refresh_thread(ctx: Context, thread: Thread, message: Message, *, counted: bool = False) -> None:
    """Counters and participants after a message joins: a few indexed queries, no scan.

    `counted` says the message was already in the counters (a re-run on the same raw).
    Counters are SQL increments so two PostgreSQL workers never lose an update.
    """
    session = ctx.session
    when = message.date or message.received_at
    if thread.started_at is None or (when and when < thread.started_at):
        thread.started_at = when
        thread.subject = thread_title(message.subject)
        thread.subject_key = message.subject_key
    if when:
        # The last activity is the newest readable message's (links.recompute_thread);
        # every message's while none is readable.
        none_readable = not thread.message_count
        later = thread.last_activity_at is None or when > thread.last_activity_at
        first_readable = none_readable and not message.hidden and not counted
        if first_readable or (later and (none_readable or not message.hidden)):
            thread.last_activity_at = when
    addresses = {message.from_address} | {a.lower() for _, a in message.to + message.cc if a}
    known = set(
        session.scalars(
            select(ThreadParticipant.address).where(
                ThreadParticipant.thread_id == thread.id, ThreadParticipant.address.in_(addresses)
            )
        )
    )
    for address in sorted(addresses - known - {""}):
        session.add(ThreadParticipant(thread_id=thread.id, address=address))
    if counted or message.hidden:
        return  # the counters count what readers can read
    new_sender = (
        session.scalar(
            select(Message.id)
            .where(
                Message.thread_id == thread.id,
                Message.from_address == message.from_address,
                Message.is_ghost.is_(False),
                Message.duplicate_of_id.is_(None),
                Message.hidden.is_(False),  # the counters count what readers can read
                Message.id != message.id,
            )
            .limit(1)
        )
        is None
    )
    thread.message_count = Thread.message_count + 1
    if new_sender:
        thread.participant_count = Thread.participant_count + 1
    session.flush()
