"""Thread graph operations on the database: ghosts, merges, re-parenting with cycle refusal, counters.

Explicit service code called by the pipeline's thread and store steps (public-inbox
OverIdx.pm link_refs / merge_threads is the model); no ORM events. Query helpers
here never commit: the runner owns the transaction.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session, aliased

from replyall.db.models import Message, Thread, ThreadAlias, ThreadParticipant
from replyall.mail.headers import message_id_hash
from replyall.mail.subject import thread_title

# A parent chain longer than this is corrupt data, not a conversation; walks stop there.
MAX_DEPTH = 10_000
REASONS = ("references", "in-reply-to", "thread-index", "subject", "new", "ghost", "duplicate")


def locking(session: Session):
    """FOR UPDATE on PostgreSQL so two workers re-read a row another one is moving."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def find_message(session: Session, archive_id: int, mid: str, *, lock: bool = False) -> Message | None:
    """The message (or ghost) with this Message-ID in the archive: one unique-index lookup."""
    stmt = select(Message).where(Message.archive_id == archive_id, Message.message_id_hash == message_id_hash(mid))
    if lock and locking(session):
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def thread_key(seed: str) -> str:
    """Public thread key: 16 lower-case base32 characters of a SHA-1."""
    return base64.b32encode(hashlib.sha1(seed.encode("utf-8", "surrogatepass")).digest()).decode("ascii")[:16].lower()


def key_taken(session: Session, key: str) -> bool:
    if session.scalar(select(Thread.id).where(Thread.key == key)) is not None:
        return True
    return session.get(ThreadAlias, key) is not None


def new_thread(session: Session, archive_id: int, key: str, *, conversation_key: str | None = None) -> Thread:
    """Add a thread. On PostgreSQL a concurrent twin with the same key fails the unique index: Retry."""
    thread = Thread(archive_id=archive_id, key=key, conversation_key=conversation_key, message_count=0, participant_count=0)
    session.add(thread)
    session.flush()
    return thread


def add_ghost(session: Session, archive_id: int, mid: str, thread: Thread, parent: Message | None) -> Message:
    """A placeholder for a referenced message that has not arrived (raw_id NULL, is_ghost)."""
    ghost = Message(
        archive_id=archive_id,
        message_id=mid,
        message_id_hash=message_id_hash(mid),
        is_ghost=True,
        thread_reason="ghost",
        thread_id=thread.id,
        parent_id=parent.id if parent is not None else None,
    )
    session.add(ghost)
    session.flush()
    return ghost


def ancestors(session: Session, message: Message) -> Iterator[Message]:
    """Parent, grandparent, ... by primary key (identity map first); stops on corrupt loops."""
    seen = {message.id}
    current = message
    for _ in range(MAX_DEPTH):
        if current.parent_id is None or current.parent_id in seen:
            return
        current = session.get(Message, current.parent_id)
        if current is None:
            return
        seen.add(current.id)
        yield current


def would_cycle(session: Session, child: Message, parent: Message) -> bool:
    """True when `child` is `parent` or one of its ancestors: linking them would close a loop."""
    if child.id is None:
        return False  # a brand-new row has no descendants
    if parent.id == child.id:
        return True
    return any(a.id == child.id for a in ancestors(session, parent))


def subtree_ids(session: Session, root: Message) -> list[int]:
    """Ids of `root` and all its descendants (recursive CTE on the parent_id index)."""
    tree = select(Message.id).where(Message.id == root.id).cte("tree", recursive=True)
    child = aliased(Message)
    tree = tree.union(select(child.id).join(tree, child.parent_id == tree.c.id))
    return list(session.scalars(select(tree.c.id)))


def _older(a: Thread, b: Thread) -> bool:
    """Is `a` the older thread (earliest start, then lowest id)? Its key survives a merge.

    A thread without a start date (only ghosts so far) counts as younger than any dated one.
    """
    if a.started_at is not None and b.started_at is not None and a.started_at != b.started_at:
        return a.started_at < b.started_at
    if (a.started_at is None) != (b.started_at is None):
        return a.started_at is not None
    return a.id <= b.id


def merge_threads(session: Session, a: Thread, b: Thread) -> Thread:
    """Move every message of the younger thread into the older; the younger key becomes an alias."""
    if a.id == b.id:
        return a
    session.flush()
    winner, loser = (a, b) if _older(a, b) else (b, a)
    session.execute(
        update(Message).where(Message.thread_id == loser.id).values(thread_id=winner.id),
        execution_options={"synchronize_session": "evaluate"},
    )
    shared = select(ThreadParticipant.address).where(ThreadParticipant.thread_id == winner.id)
    session.execute(
        delete(ThreadParticipant).where(ThreadParticipant.thread_id == loser.id, ThreadParticipant.address.in_(shared)),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(ThreadParticipant).where(ThreadParticipant.thread_id == loser.id).values(thread_id=winner.id),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(ThreadAlias).where(ThreadAlias.thread_id == loser.id).values(thread_id=winner.id),
        execution_options={"synchronize_session": False},
    )
    session.add(ThreadAlias(key=loser.key, thread_id=winner.id))
    if winner.conversation_key is None:
        winner.conversation_key = loser.conversation_key
    session.flush()
    # Core delete: the ORM would try to null the loser's loaded `messages` collection.
    session.execute(delete(Thread).where(Thread.id == loser.id), execution_options={"synchronize_session": False})
    session.expunge(loser)
    recompute_thread(session, winner)
    return winner


def move_subtree(session: Session, root: Message, target: Thread) -> Thread:
    """Put `root` and its descendants into `target`; a merge when they are the whole old thread."""
    source = session.get(Thread, root.thread_id)
    if source is None or source.id == target.id:
        return target
    session.flush()
    ids = subtree_ids(session, root)
    total = session.scalar(select(func.count()).select_from(Message).where(Message.thread_id == source.id)) or 0
    if total <= len(ids) or source.conversation_key is not None:
        # Whole thread (or an Outlook conversation, which must stay together): merge.
        return merge_threads(session, source, target)
    session.execute(
        update(Message).where(Message.id.in_(ids)).values(thread_id=target.id),
        execution_options={"synchronize_session": "fetch"},
    )
    session.flush()
    for thread in (source, target):
        rebuild_participants(session, thread)
        recompute_thread(session, thread)
    return target


def reparent(session: Session, child: Message, parent: Message, reason: str) -> bool:
    """Hang `child` under `parent`, moving or merging threads; refuses (False) to close a cycle."""
    if would_cycle(session, child, parent):
        return False
    child.parent_id = parent.id
    child.thread_reason = reason
    if child.thread_id != parent.thread_id:
        target = session.get(Thread, parent.thread_id)
        assert target is not None
        move_subtree(session, child, target)
    session.flush()
    return True


def recompute_thread(session: Session, thread: Thread) -> None:
    """Counters and dates from the thread's rows: used after the rare merge, move or hide only.

    The counters and the last activity are what readers can read, so hidden messages are
    left out: a thread whose every message is hidden leaves the lists (message_count 0, as
    a thread of ghosts), and a hidden spam reply does not lift an old conversation to the
    top of them. The start and the subject count every message: a merge keeps the older
    thread's key (_older), and moderation must not change that.
    """
    session.flush()
    shown = and_(Message.thread_id == thread.id, Message.is_ghost.is_(False), Message.duplicate_of_id.is_(None))
    readable = and_(shown, Message.hidden.is_(False))
    when = func.coalesce(Message.date, Message.received_at)
    count, senders, last = session.execute(
        select(func.count(), func.count(func.distinct(Message.from_address)), func.max(when)).where(readable)
    ).one()
    first, last_of_all = session.execute(select(func.min(when), func.max(when)).where(shown)).one()
    thread.message_count = count or 0
    thread.participant_count = senders or 0
    thread.started_at, thread.last_activity_at = first, last if count else last_of_all
    opener = session.execute(
        select(Message.subject, Message.subject_key).where(shown).order_by(when, Message.id).limit(1)
    ).first()
    if opener is not None:
        thread.subject, thread.subject_key = thread_title(opener[0]), opener[1]
    session.flush()


def recompute_threads(session: Session, thread_ids: set[int]) -> None:
    """recompute_thread for each of these threads (after hiding or showing messages in bulk)."""
    for thread in session.scalars(select(Thread).where(Thread.id.in_(thread_ids))).all() if thread_ids else ():
        recompute_thread(session, thread)


def rebuild_participants(session: Session, thread: Thread) -> None:
    """Participants from the thread's rows (after a subtree moved out or in)."""
    session.execute(delete(ThreadParticipant).where(ThreadParticipant.thread_id == thread.id))
    addresses: set[str] = set()
    rows = session.execute(
        select(Message.from_address, Message.to, Message.cc).where(
            Message.thread_id == thread.id, Message.is_ghost.is_(False)
        )
    )
    for sender, to, cc in rows:
        addresses.add((sender or "").lower())
        addresses.update((pair[1] or "").lower() for pair in (*(to or []), *(cc or [])) if len(pair) >= 2)
    for address in sorted(addresses - {""}):
        session.add(ThreadParticipant(thread_id=thread.id, address=address))
    session.flush()


__all__ = [
    "REASONS",
    "add_ghost",
    "ancestors",
    "find_message",
    "key_taken",
    "locking",
    "merge_threads",
    "move_subtree",
    "new_thread",
    "recompute_thread",
    "recompute_threads",
    "reparent",
    "subtree_ids",
    "thread_key",
    "would_cycle",
]
