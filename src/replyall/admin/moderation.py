"""Hide, redact and erase messages; retry failed mail; erasure requests from members.

Redaction and erasure are the two places where "raw is the truth, never changed"
gives way to data-protection law: a redacted message's raw copy is cut down to the
headers threading needs plus the note (so neither the .eml download nor a reindex
can bring the text back), and an erased message leaves no raw copy, derived text,
attachment or search row behind.
"""

from __future__ import annotations

import hashlib
from email import policy
from email.parser import BytesParser

from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.orm import Session

from replyall.admin import audit
from replyall.clock import Clock
from replyall.db.models import (
    ERASED,
    Archive,
    BoilerplateBlock,
    BoilerplateSighting,
    ErasureRequest,
    Message,
    RawMessage,
    Thread,
    ThreadRepair,
)
from replyall.members import normalise, rebuild_members
from replyall.threading import links

#: Headers a redacted raw copy keeps: enough to thread it again, nothing written by a person.
KEPT_HEADERS = (
    "Message-ID", "Date", "From", "To", "Cc", "In-Reply-To", "References", "Thread-Index", "Thread-Topic",
)


def _search():
    # The search package owns the index; imported late so admin works even where the
    # index is being rebuilt.
    from replyall.search.indexer import index_message, unindex_message

    return index_message, unindex_message


def message_target(message: Message) -> str:
    return f"message:{message.message_id_hash}"


def set_hidden(session: Session, clock: Clock, actor: str, message: Message, hidden: bool) -> bool:
    """Hide a message from every page, feed, export and search (or show it again).

    Its place in the conversation stays, as a note without its text; the thread's
    counters leave it out, so a conversation whose every message is hidden (spam) leaves
    the archive's lists. False when there was nothing to change.
    """
    return _set_all_hidden(session, clock, actor, [message], hidden) == 1


def _set_all_hidden(session: Session, clock: Clock, actor: str, messages: list[Message], hidden: bool) -> int:
    """set_hidden for each message (each change audited), then each thread they are in recounted once."""
    index_message, _ = _search()
    changed = [m for m in messages if not m.is_ghost and m.hidden != hidden]
    for message in changed:
        message.hidden = hidden
        session.flush()
        index_message(session, message)  # drops hidden messages from the index, restores the others
        audit.record(session, clock, actor, "hide" if hidden else "unhide", message_target(message),
                     archive_id=message.archive_id)
    links.recompute_threads(session, {m.thread_id for m in changed})
    return len(changed)


def set_thread_hidden(session: Session, clock: Clock, actor: str, thread: Thread, hidden: bool) -> int:
    """Hide (or show again) every message of a conversation; returns how many changed."""
    return set_threads_hidden(session, clock, actor, [thread], hidden)


def set_threads_hidden(session: Session, clock: Clock, actor: str, threads: list[Thread], hidden: bool) -> int:
    """Hide (or show again) every message of several conversations at once: spam from
    one-off senders opens a conversation each. Returns how many messages changed."""
    if not threads:
        return 0
    messages = session.scalars(
        select(Message).where(Message.thread_id.in_([t.id for t in threads]), Message.is_ghost.is_(False))
        .order_by(Message.id)
    ).all()
    return _set_all_hidden(session, clock, actor, list(messages), hidden)


def sender_messages(session: Session, archive_id: int, address: str) -> list[Message]:
    """Every real message `address` sent to an archive."""
    return list(session.scalars(
        select(Message).where(
            Message.archive_id == archive_id, Message.from_address == normalise(address), Message.is_ghost.is_(False)
        ).order_by(Message.id)
    ))


def sender_summary(session: Session, archive_id: int, address: str) -> dict[str, int]:
    """How many messages `address` sent to an archive, in how many conversations, how many hidden."""
    total, threads, hidden = session.execute(
        select(func.count(), func.count(func.distinct(Message.thread_id)),
               func.coalesce(func.sum(case((Message.hidden.is_(True), 1), else_=0)), 0))
        .where(Message.archive_id == archive_id, Message.from_address == normalise(address),
               Message.is_ghost.is_(False))
    ).one() if normalise(address) else (0, 0, 0)
    return {"total": int(total), "threads": int(threads), "hidden": int(hidden)}


def set_sender_hidden(session: Session, clock: Clock, actor: str, archive_id: int, address: str, hidden: bool) -> int:
    """Hide (or show again) every message one sender sent to an archive: a spammer posts
    dozens of conversations. Each change is in the audit log; returns how many changed."""
    if not normalise(address):
        raise ValueError("a message without a sender address cannot be matched to others")
    return _set_all_hidden(session, clock, actor, sender_messages(session, archive_id, address), hidden)


def redaction_note(clock: Clock) -> str:
    return f"[This message was removed by the archive's administrators on {clock.now():%d %B %Y}.]"


def _redacted_raw(raw: bytes, note: str, keep_subject: bool) -> bytes:
    parsed = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    lines = []
    for name in KEPT_HEADERS + (("Subject",) if keep_subject else ()):
        for value in parsed.get_all(name) or []:
            lines.append(f"{name}: {value}")
    if not keep_subject:
        lines.append("Subject: [redacted]")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
              "X-Replyall-Redacted: yes"]
    # Header values keep their original (possibly 8-bit or RFC 2047) bytes; surrogateescape
    # round-trips whatever compat32 decoded them as.
    head = "\r\n".join(lines).encode("utf-8", "surrogateescape")
    return head + b"\r\n\r\n" + note.encode("utf-8") + b"\r\n"


def redact(session: Session, clock: Clock, actor: str, message: Message, *, subject: bool = False) -> None:
    """Replace what a message says with a note: text, quote, signature, disclaimer, attachments
    (and the subject when asked). The audit entry says who and when, never what."""
    if message.is_ghost:
        raise ValueError("a placeholder has nothing to redact")
    note = redaction_note(clock)
    message.body, message.quote, message.signature, message.disclaimer, message.original = note, "", "", "", ""
    message.attachments = []
    message.has_attachments = False
    if subject:
        message.subject = "[redacted]"
    message.redacted = True
    raw = session.get(RawMessage, message.raw_id) if message.raw_id is not None else None
    if raw is not None:
        raw.raw = _redacted_raw(raw.raw, note, keep_subject=not subject)
        raw.size, raw.sha256 = len(raw.raw), hashlib.sha256(raw.raw).hexdigest()
    session.flush()
    index_message, _ = _search()
    index_message(session, message)  # a redacted message is never searchable
    thread = session.get(Thread, message.thread_id)
    if thread is not None and subject:
        links.recompute_thread(session, thread)
    audit.record(
        session, clock, actor, "redact", message_target(message), archive_id=message.archive_id,
        detail={"subject": bool(subject)},
    )


def _secure_delete(session: Session) -> None:
    # SQLite otherwise leaves deleted rows readable in free pages of the file.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))


def erase(session: Session, clock: Clock, actor: str, message: Message, *, rebuild: bool = True) -> None:
    """Delete a message for good: raw copy, derived text, attachments, search row, repairs.

    A message others replied to becomes a content-free placeholder (like a parent that
    never arrived), so the replies keep their place in the conversation.
    """
    if message.is_ghost:
        raise ValueError("a placeholder holds nothing to erase")
    _secure_delete(session)
    _, unindex_message = _search()
    unindex_message(session, message.id)
    _compact_search_index(session)
    _forget_learned(session, message)
    archive_id, mid_hash, thread_id, raw_id = message.archive_id, message.message_id_hash, message.thread_id, message.raw_id
    has_replies = session.scalar(select(func.count()).select_from(Message).where(Message.parent_id == message.id)) or 0
    if has_replies:
        message.raw_id = None
        message.is_ghost, message.thread_reason, message.hidden, message.redacted = True, "ghost", False, False
        message.subject = message.from_name = message.from_address = ""
        message.body = message.quote = message.signature = message.disclaimer = message.original = ""
        message.to, message.cc, message.references, message.in_reply_to = [], [], [], None
        message.thread_index = message.conversation_key = None
        message.attachments = []
        message.has_attachments = False
        message.defects = []
    else:
        session.delete(message)
    session.flush()
    if raw_id is not None:
        # Keep the row as a tombstone, emptied of everything but the Message-ID's hash:
        # reply-all storms deliver late copies (slow relays, MTA retries, a second
        # archive address) and people re-import old mailboxes; intake's upsert then only
        # counts the delivery, so erased mail cannot come back.
        session.execute(
            update(RawMessage).where(RawMessage.id == raw_id).values(
                status=ERASED, raw=b"", size=0, sha256="", message_id="", envelope_from="",
                envelope_to=[], peer="", error=None,
            )
        )
    session.execute(
        delete(ThreadRepair).where(
            ThreadRepair.archive_id == archive_id,
            (ThreadRepair.message_id_hash == mid_hash) | (ThreadRepair.anchor_hash == mid_hash),
        )
    )
    _tidy_thread(session, thread_id)
    if rebuild:
        rebuild_members(session, archive_id)
    audit.record(session, clock, actor, "erase", f"message:{mid_hash}", archive_id=archive_id)


def _compact_search_index(session: Session) -> None:
    # FTS5 deletes only add tombstones: the erased words stay in the index's segment
    # blobs until they are merged. 'optimize' rewrites them now (cost: the index size,
    # acceptable for a rare, legally required act). PostgreSQL's dead tuples are
    # invisible to every query and go at the next (auto)vacuum.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))


def _squash(value: str) -> str:
    return " ".join(value.split())


def _forget_learned(session: Session, message: Message) -> None:
    """Drop what the boilerplate learner kept from this message (cleaning.boilerplate).

    The learner stores the first and last paragraphs of every message, with a sample
    of their text, to spot footers many senders share. A block only this sender was
    seen sending is their own words and goes with the message; a block others sent
    too (a shared disclaimer) stays, minus this sender's sighting.
    """
    sender = normalise(message.from_address)
    if not sender:
        return
    said = [message.body, message.signature, message.disclaimer, message.original, message.quote]
    raw = session.get(RawMessage, message.raw_id) if message.raw_id is not None else None
    if raw is not None:
        from replyall.mail.mime import parse_message

        parsed = parse_message(raw.raw)
        said += [parsed.text or "", parsed.html or ""]
    everything = _squash("\n".join(said))
    mine = select(BoilerplateSighting.fingerprint).where(
        BoilerplateSighting.archive_id == message.archive_id, BoilerplateSighting.sender == sender
    )
    blocks = session.scalars(
        select(BoilerplateBlock).where(
            BoilerplateBlock.archive_id == message.archive_id, BoilerplateBlock.fingerprint.in_(mine)
        )
    ).all()
    for block in blocks:
        if _squash(block.sample) not in everything:
            continue
        session.execute(
            delete(BoilerplateSighting).where(
                BoilerplateSighting.archive_id == message.archive_id,
                BoilerplateSighting.fingerprint == block.fingerprint,
                BoilerplateSighting.sender == sender,
            )
        )
        others = session.scalar(
            select(func.count()).select_from(BoilerplateSighting).where(
                BoilerplateSighting.archive_id == message.archive_id,
                BoilerplateSighting.fingerprint == block.fingerprint,
            )
        )
        if not others:
            session.delete(block)
    session.flush()


def _tidy_thread(session: Session, thread_id: int) -> None:
    thread = session.get(Thread, thread_id)
    if thread is None:
        return
    real = session.scalar(
        select(func.count()).select_from(Message).where(Message.thread_id == thread_id, Message.is_ghost.is_(False))
    )
    if real:
        links.rebuild_participants(session, thread)
        links.recompute_thread(session, thread)
        return
    # Only placeholders are left: the conversation is gone.
    session.execute(delete(Message).where(Message.thread_id == thread_id).execution_options(synchronize_session=False))
    session.flush()
    session.execute(delete(Thread).where(Thread.id == thread_id), execution_options={"synchronize_session": False})
    session.expunge(thread)


def retry(session: Session, clock: Clock, actor: str, raw: RawMessage) -> None:
    """Send a failed (or discarded) raw message through the pipeline again."""
    raw.status, raw.attempts, raw.error, raw.processed_at = "pending", 0, None, None
    session.flush()
    audit.record(session, clock, actor, "retry", f"raw:{raw.id}", archive_id=raw.archive_id)


# --- erasure requests ------------------------------------------------------------------


def request_erasure(session: Session, clock: Clock, address: str) -> ErasureRequest:
    """A member asks for all the messages they sent to be erased; one open request at a time."""
    address = normalise(address)
    open_request = session.scalars(
        select(ErasureRequest).where(ErasureRequest.address == address, ErasureRequest.status == "pending")
    ).first()
    if open_request is not None:
        return open_request
    req = ErasureRequest(address=address, created_at=clock.now(), status="pending", erased_count=0)
    session.add(req)
    session.flush()
    return req


def messages_from(session: Session, address: str) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.from_address == normalise(address), Message.is_ghost.is_(False))
            .order_by(Message.date, Message.id)
        )
    )


def approve_erasure(session: Session, clock: Clock, actor: str, req: ErasureRequest) -> int:
    """Erase every message the requester sent, in every archive; returns how many."""
    if req.status != "pending":
        raise ValueError("this request has already been decided")
    messages = messages_from(session, req.address)
    archives = {m.archive_id for m in messages}
    for message in messages:
        erase(session, clock, actor, message, rebuild=False)
    for archive_id in archives:
        rebuild_members(session, archive_id)
    req.status, req.decided_by, req.decided_at, req.erased_count = "done", actor, clock.now(), len(messages)
    audit.record(session, clock, actor, "erase-address", f"erasure-request:{req.id}", detail={"messages": len(messages)})
    return len(messages)


def refuse_erasure(session: Session, clock: Clock, actor: str, req: ErasureRequest) -> None:
    if req.status != "pending":
        raise ValueError("this request has already been decided")
    req.status, req.decided_by, req.decided_at = "refused", actor, clock.now()
    audit.record(session, clock, actor, "refuse-erasure", f"erasure-request:{req.id}")


def archive_slugs(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Archive.id, Archive.slug)).all())
