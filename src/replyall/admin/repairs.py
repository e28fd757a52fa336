"""Thread repair by administrators (move, merge, split) and how the thread step honours it later.

Each repair is written to thread_repairs as "message X belongs with message Y's
thread" (Y == X: X starts its own thread) and the moved messages get thread_reason
"repair". The pipeline's thread step consults both, so repairs survive `replyall
reindex` and later mail cannot undo them:

- `place(ctx, own)` runs first for every message: a repaired message goes where the
  newest repair says. When Y has not been re-processed yet, a ghost row for Y holds
  the place, exactly as for a parent that has not arrived (Y then lands in it).
- `pinned_thread(...)`: a reply whose References reach a repaired message follows
  the nearest referenced message instead of merging the threads back together
  (JWZ would otherwise join every thread a References chain touches).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.db.models import Message, RawMessage, Thread, ThreadAlias, ThreadRepair
from replyall.threading import links

REPAIR = "repair"


class RepairError(ValueError):
    """The repair makes no sense (same thread, other archive, a ghost); the message says why."""


# --- read side: used by the thread step ---------------------------------------------


def latest_repair(session: Session, archive_id: int, mid_hash: str) -> ThreadRepair | None:
    return session.scalars(
        select(ThreadRepair)
        .where(ThreadRepair.archive_id == archive_id, ThreadRepair.message_id_hash == mid_hash)
        .order_by(ThreadRepair.id.desc())
        .limit(1)
    ).first()


def _by_hash(session: Session, archive_id: int, mid_hash: str) -> Message | None:
    return session.scalars(
        select(Message).where(Message.archive_id == archive_id, Message.message_id_hash == mid_hash)
    ).first()


def _fresh_key(session: Session, mid_hash: str) -> str:
    seeds = [mid_hash[:16].lower()] + [links.thread_key(f"split:{mid_hash}:{n}") for n in range(1, 6)]
    return next((k for k in seeds if not links.key_taken(session, k)), links.thread_key(f"split:{mid_hash}:x"))


def split_out(session: Session, root: Message) -> Thread:
    """A new thread holding `root` and its replies (the thread they leave is recounted)."""
    session.flush()
    old = session.get(Thread, root.thread_id) if root.thread_id is not None else None
    thread = links.new_thread(session, root.archive_id, _fresh_key(session, root.message_id_hash))
    ids = links.subtree_ids(session, root) if root.id is not None else []
    if ids:
        session.execute(
            update(Message).where(Message.id.in_(ids)).values(thread_id=thread.id),
            execution_options={"synchronize_session": "fetch"},
        )
    root.parent_id = None
    session.flush()
    for each in (old, thread):
        if each is not None:
            _recount(session, each)
    return thread


def _recount(session: Session, thread: Thread) -> None:
    links.rebuild_participants(session, thread)
    links.recompute_thread(session, thread)


def _anchor_thread(session: Session, archive_id: int, anchor_hash: str) -> Thread | None:
    """The thread of the anchor message, or of a ghost standing in for it until it is re-processed."""
    anchor = _by_hash(session, archive_id, anchor_hash)
    if anchor is not None:
        return session.get(Thread, anchor.thread_id)
    raw_mid = session.scalar(
        select(RawMessage.message_id).where(
            RawMessage.archive_id == archive_id, RawMessage.message_id_hash == anchor_hash
        )
    )
    if raw_mid is None:
        return None  # the anchor was erased: the repair has nothing left to hold on to
    thread = links.new_thread(session, archive_id, _fresh_key(session, anchor_hash))
    links.add_ghost(session, archive_id, raw_mid, thread, None)
    return thread


def place(ctx, own: Message | None) -> bool:
    """Thread-step hook: put a repaired message where its newest repair says; False if none applies."""
    session, archive_id = ctx.session, ctx.archive.id
    mid_hash = ctx.raw.message_id_hash
    repair = latest_repair(session, archive_id, mid_hash)
    if repair is None:
        return False
    if repair.anchor_hash == mid_hash:
        thread = split_out(session, own) if own is not None else links.new_thread(
            session, archive_id, _fresh_key(session, mid_hash)
        )
        ctx.thread, ctx.parent, ctx.thread_reason = thread, None, REPAIR
        return True
    thread = _anchor_thread(session, archive_id, repair.anchor_hash)
    if thread is None:
        return False
    if own is not None and own.thread_id != thread.id:
        thread = links.move_subtree(session, own, thread)
    # Keep the reply structure where the message's own parent is in the same thread.
    parsed = ctx.parsed
    parent = None
    for mid in reversed(list(getattr(parsed, "parents", []) or [])):
        row = links.find_message(session, archive_id, mid)
        if row is not None and row.thread_id == thread.id and (own is None or row.id != own.id):
            parent = row
            break
    ctx.thread, ctx.parent, ctx.thread_reason = thread, parent, REPAIR
    return True


def pinned_thread(session: Session, refs: list[str], rows: dict[str, Message], own: Message | None) -> Thread | None:
    """Thread-step hook: when the References chain touches a repaired message, the nearest
    referenced message's thread, without merging; else None (merge as usual)."""
    touched = list(rows.values()) + ([own] if own is not None else [])
    if not any(m.thread_reason == REPAIR for m in touched):
        return None
    for mid in reversed(refs):
        row = rows.get(mid)
        if row is not None:
            thread = session.get(Thread, row.thread_id)
            if own is not None and thread is not None and own.thread_id != thread.id and own.thread_reason != REPAIR:
                thread = links.move_subtree(session, own, thread)
            return thread
    return None


# --- write side: what an administrator does ------------------------------------------


def _first_arrived(session: Session, thread: Thread) -> Message:
    """The thread's earliest-received real message: re-processed first by a reindex."""
    row = session.scalars(
        select(Message)
        .where(Message.thread_id == thread.id, Message.is_ghost.is_(False), Message.raw_id.is_not(None))
        .order_by(Message.raw_id)
        .limit(1)
    ).first()
    if row is None:
        raise RepairError("that conversation has no archived messages to attach to")
    return row


def _log(session: Session, clock: Clock, actor: str, action: str, archive_id: int, hashes: Iterable[str], anchor: str) -> None:
    for mid_hash in hashes:
        session.add(
            ThreadRepair(
                archive_id=archive_id, message_id_hash=mid_hash, anchor_hash=anchor, action=action,
                actor=actor, created_at=clock.now(),
            )
        )


def _subtree(session: Session, root: Message) -> list[Message]:
    ids = links.subtree_ids(session, root)
    return list(session.scalars(select(Message).where(Message.id.in_(ids))))


def move_message(session: Session, clock: Clock, actor: str, message: Message, target: Thread) -> Thread:
    """Move a message and its replies into another conversation of the same archive."""
    if message.is_ghost:
        raise RepairError("a placeholder for a missing message cannot be moved")
    if target.archive_id != message.archive_id:
        raise RepairError("the target conversation belongs to another archive")
    if target.id == message.thread_id:
        raise RepairError("the message is already in that conversation")
    anchor = _first_arrived(session, target)
    moved = [m for m in _subtree(session, message)]
    source = session.get(Thread, message.thread_id)
    session.execute(
        update(Message).where(Message.id.in_([m.id for m in moved])).values(thread_id=target.id),
        execution_options={"synchronize_session": "fetch"},
    )
    message.parent_id = None
    for m in moved:
        if not m.is_ghost:
            m.thread_reason = REPAIR
    _log(session, clock, actor, "move", message.archive_id, [m.message_id_hash for m in moved if not m.is_ghost], anchor.message_id_hash)
    session.flush()
    _recount(session, target)
    if source is not None:
        _drop_if_empty(session, source, target)
    return target


def _drop_if_empty(session: Session, source: Thread, into: Thread) -> None:
    left = session.scalar(select(func.count()).select_from(Message).where(Message.thread_id == source.id)) or 0
    if left:
        _recount(session, source)
        return
    # Nothing left: old links to it lead to where its messages went.
    session.execute(
        update(ThreadAlias).where(ThreadAlias.thread_id == source.id).values(thread_id=into.id),
        execution_options={"synchronize_session": False},
    )
    session.add(ThreadAlias(key=source.key, thread_id=into.id))
    session.flush()
    session.execute(delete(Thread).where(Thread.id == source.id), execution_options={"synchronize_session": False})
    session.expunge(source)


def merge(session: Session, clock: Clock, actor: str, a: Thread, b: Thread) -> Thread:
    """Join two conversations; the older one's key and subject survive, the other key redirects."""
    if a.id == b.id:
        raise RepairError("a conversation cannot be merged with itself")
    if a.archive_id != b.archive_id:
        raise RepairError("conversations from different archives cannot be merged")
    # Anchor the younger thread's messages on the older thread's first arrival: a
    # reindex then meets the anchor first and needs no placeholder.
    first_a, first_b = _first_arrived(session, a), _first_arrived(session, b)
    older, younger = (a, b) if first_a.raw_id <= first_b.raw_id else (b, a)
    anchor = first_a if older is a else first_b
    hashes = list(
        session.scalars(select(Message.message_id_hash).where(Message.thread_id == younger.id, Message.is_ghost.is_(False)))
    )
    session.execute(
        update(Message).where(Message.thread_id == younger.id, Message.is_ghost.is_(False)).values(thread_reason=REPAIR),
        execution_options={"synchronize_session": "fetch"},
    )
    _log(session, clock, actor, "merge", a.archive_id, hashes, anchor.message_id_hash)
    return links.merge_threads(session, older, younger)


def split(session: Session, clock: Clock, actor: str, message: Message) -> Thread:
    """Start a new conversation at `message`, taking its replies with it."""
    if message.is_ghost:
        raise RepairError("a placeholder for a missing message cannot start a conversation")
    thread = session.get(Thread, message.thread_id)
    assert thread is not None
    others = session.scalar(
        select(func.count()).select_from(Message).where(Message.thread_id == thread.id, Message.id != message.id)
    )
    if message.parent_id is None and not others:
        raise RepairError("the message is already a conversation of its own")
    moved = _subtree(session, message)
    new = split_out(session, message)
    for m in moved:
        if not m.is_ghost:
            m.thread_reason = REPAIR
    _log(session, clock, actor, "split", message.archive_id, [m.message_id_hash for m in moved if not m.is_ghost], message.message_id_hash)
    session.flush()
    return new


def history(session: Session, archive_id: int, mid_hashes: Iterable[str]) -> dict[str, list[ThreadRepair]]:
    """Every repair touching these messages, oldest first (for 'why is it in this thread')."""
    found: dict[str, list[ThreadRepair]] = {}
    rows = session.scalars(
        select(ThreadRepair)
        .where(ThreadRepair.archive_id == archive_id, ThreadRepair.message_id_hash.in_(list(mid_hashes)))
        .order_by(ThreadRepair.id)
    )
    for row in rows:
        found.setdefault(row.message_id_hash, []).append(row)
    return found
