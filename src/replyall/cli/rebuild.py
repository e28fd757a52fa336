"""`replyall reindex --full`: rebuild every derived row of an archive from its raw messages.

Messages, threads, participants, members, attachments and search rows are thrown
away and the pipeline runs again over the raw mail in arrival order, all in one
transaction per archive: readers see the old archive or the new one, never half of
each, and a hidden message is never visible in between. What people decided, not
derived from mail, is carried over:
- thread repairs live in thread_repairs, which the thread step replays
  (admin/repairs.py);
- hidden and redacted flags (a redacted message's raw copy was already cut down, and
  its shown text is put back as the administrator left it); the replay does not apply
  sender bans again, so a banned sender's message an administrator showed stays shown;
- every thread key that was ever public (thread keys and aliases) keeps working: if
  the rebuilt conversation got another key, the old one becomes an alias of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.models import (
    ERASED, Archive, ArchiveMember, Attachment, Message, RawMessage, Thread, ThreadAlias, ThreadParticipant,
)
from replyall.threading.links import recompute_threads

__all__ = ["RebuildStats", "rebuild_archive"]

_KEPT_TEXT = ("subject", "body", "quote", "signature", "disclaimer", "original")


@dataclass
class RebuildStats:
    raw: int = 0
    statuses: dict[str, int] | None = None
    aliases_added: int = 0


def _snapshot(session: Session, archive_id: int):
    rows = session.execute(
        select(Message.id, Message.message_id_hash, Message.hidden, Message.redacted, Thread.key)
        .join(Thread, Thread.id == Message.thread_id)
        .where(Message.archive_id == archive_id, Message.is_ghost.is_(False))
        .order_by(Message.raw_id)
    ).all()
    kept_text = {
        r.message_id_hash: {k: getattr(r, k) for k in _KEPT_TEXT}
        for r in session.execute(
            select(Message.message_id_hash, *(getattr(Message, k) for k in _KEPT_TEXT))
            .where(Message.archive_id == archive_id, Message.redacted.is_(True))
        )
    }
    flags = {r.message_id_hash: (r.hidden, r.redacted, kept_text.get(r.message_id_hash)) for r in rows if r.hidden or r.redacted}
    # Every key a link may carry -> the messages that were behind it, oldest first.
    members: dict[str, list[str]] = {}
    for r in rows:
        members.setdefault(r.key, []).append(r.message_id_hash)
    aliases = session.execute(
        select(ThreadAlias.key, Thread.key).join(Thread, Thread.id == ThreadAlias.thread_id).where(Thread.archive_id == archive_id)
    ).all()
    for alias, key in aliases:
        if key in members:
            members[alias] = members[key]
    return flags, members


def _clear(session: Session, archive_id: int) -> None:
    message_ids = select(Message.id).where(Message.archive_id == archive_id).scalar_subquery()
    thread_ids = select(Thread.id).where(Thread.archive_id == archive_id).scalar_subquery()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM search_fts WHERE rowid IN (SELECT id FROM messages WHERE archive_id = :a)"), {"a": archive_id})
    session.execute(delete(Attachment).where(Attachment.message_id.in_(message_ids)))
    # Self references first, so deleting the rows in any order breaks no foreign key.
    session.execute(update(Message).where(Message.archive_id == archive_id).values(parent_id=None, duplicate_of_id=None))
    session.execute(delete(Message).where(Message.archive_id == archive_id))
    session.execute(delete(ThreadAlias).where(ThreadAlias.thread_id.in_(thread_ids)))
    session.execute(delete(ThreadParticipant).where(ThreadParticipant.thread_id.in_(thread_ids)))
    session.execute(delete(Thread).where(Thread.archive_id == archive_id))
    session.execute(delete(ArchiveMember).where(ArchiveMember.archive_id == archive_id))
    session.execute(
        update(RawMessage)
        .where(RawMessage.archive_id == archive_id, RawMessage.status != ERASED)
        .values(status="pending", attempts=0, error=None)
    )
    session.expunge_all()


def _restore(session: Session, archive_id: int, flags, members) -> int:
    from replyall.search import index_message

    by_hash = {
        m.message_id_hash: m
        for m in session.scalars(select(Message).where(Message.archive_id == archive_id, Message.is_ghost.is_(False)))
    }
    for mid_hash, (hidden, redacted, kept) in flags.items():
        message = by_hash.get(mid_hash)
        if message is None:
            continue
        message.hidden, message.redacted = hidden, redacted
        for k, v in (kept or {}).items():
            setattr(message, k, v)
        index_message(session, message)  # drops hidden and redacted messages from search
    session.flush()
    # The pipeline counted every message; the counters leave the hidden ones out.
    recompute_threads(session, {m.thread_id for m in by_hash.values() if m.hidden})
    taken = set(session.scalars(select(Thread.key))) | set(session.scalars(select(ThreadAlias.key)))
    added = 0
    for key, hashes in members.items():
        if key in taken:
            continue
        target = next((by_hash[h] for h in hashes if h in by_hash), None)
        if target is None:
            continue  # every message behind it is gone (erased): the link has nothing to show
        session.add(ThreadAlias(key=key, thread_id=target.thread_id))
        taken.add(key)
        added += 1
    session.flush()
    return added


def rebuild_archive(
    session: Session, archive_id: int, settings: Settings, clock: Clock, advance: Callable[[int], None] | None = None
) -> RebuildStats:
    """Rebuild one archive's derived rows inside the caller's transaction (see the module docstring)."""
    from replyall.pipeline.runner import process

    archive = session.get(Archive, archive_id)
    assert archive is not None
    flags, members = _snapshot(session, archive_id)
    _clear(session, archive_id)
    ids = list(session.scalars(
        select(RawMessage.id).where(RawMessage.archive_id == archive_id, RawMessage.status != ERASED).order_by(RawMessage.id)
    ))
    statuses: dict[str, int] = {}
    for n, raw_id in enumerate(ids, 1):
        raw = session.get(RawMessage, raw_id)
        assert raw is not None
        status = process(session, raw, settings, clock, replaying=True)
        statuses[status] = statuses.get(status, 0) + 1
        if n % 200 == 0:
            session.flush()
            session.expunge_all()  # keep memory flat over a large archive
        if advance:
            advance(1)
    added = _restore(session, archive_id, flags, members)
    return RebuildStats(raw=len(ids), statuses=statuses, aliases_added=added)


def raw_count(session: Session, archive_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(RawMessage).where(RawMessage.archive_id == archive_id, RawMessage.status != ERASED)
    ) or 0
