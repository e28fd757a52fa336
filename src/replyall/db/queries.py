"""Read-only queries shared by the web, the digest and the CLI; nothing here writes or commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from replyall.db.models import Message, Thread, ThreadAlias

__all__ = ["order_tree", "resolve_thread_key", "thread_tree"]

_NEVER = datetime.max.replace(tzinfo=UTC)


def resolve_thread_key(session: Session, key: str) -> Thread | None:
    """The thread with this public key, following the aliases left by merges (old URLs keep working)."""
    key = (key or "").strip().lower()
    if not key:
        return None
    thread = session.scalars(select(Thread).where(Thread.key == key)).first()
    if thread is not None:
        return thread
    alias = session.get(ThreadAlias, key)
    return session.get(Thread, alias.thread_id) if alias is not None else None


def _when(message: Message) -> tuple:
    return (message.date or message.received_at or _NEVER, message.id)


def thread_tree(session: Session, thread_id: int) -> list[tuple[Message, int]]:
    """The thread's messages as (message, depth), depth first in conversation order.

    Siblings and roots are ordered by date. Ghosts (referenced messages we never
    received) are pruned as JWZ does: a ghost without children disappears, a ghost
    with one child is replaced by it, a ghost with several stays as a placeholder
    (render it as "message not in the archive"). Near-duplicate copies are left out
    and replies to them hang under the message they duplicate.
    """
    return order_tree(list(session.scalars(select(Message).where(Message.thread_id == thread_id))))


def order_tree(rows: list[Message]) -> list[tuple[Message, int]]:
    """thread_tree over rows already loaded (every row of one thread, ghosts included).

    The thread page loads its rows once, with what it shows, and orders them here
    rather than selecting the thread a second time.
    """
    by_id = {m.id: m for m in rows}
    canonical = {m.id: (m.duplicate_of_id if m.duplicate_of_id in by_id else m.id) for m in rows}
    children: dict[int | None, list[Message]] = defaultdict(list)
    for m in rows:
        if m.duplicate_of_id is not None and m.duplicate_of_id in by_id:
            continue
        parent = canonical.get(m.parent_id) if m.parent_id in by_id else None
        children[parent].append(m)
    for kids in children.values():
        kids.sort(key=_when)

    def pruned(message: Message, seen: set[int]) -> list[Message]:
        """The node(s) that stand for `message` once ghosts are pruned."""
        if message.id in seen:  # a corrupt loop: show each message once
            return []
        seen.add(message.id)
        if not message.is_ghost:
            return [message]
        kept = [n for kid in children.get(message.id, []) for n in pruned(kid, seen)]
        return [message] if len(kept) > 1 else kept

    out: list[tuple[Message, int]] = []
    placed: set[int] = set()

    def stand_ins(kid: Message) -> list[Message]:
        # pruned(kid, a copy of placed), without copying the set for the common real message
        if kid.is_ghost:
            return pruned(kid, set(placed))
        return [] if kid.id in placed else [kid]

    def walk(root: Message) -> None:
        """Depth first, siblings by date; a stack, not recursion: a reply-all storm can nest
        replies a thousand deep, past Python's recursion limit."""
        stack = [(root, 0)]
        while stack:
            message, depth = stack.pop()
            if message.id in placed:
                continue
            placed.add(message.id)
            out.append((message, depth))
            kids = [n for kid in children.get(message.id, []) for n in stand_ins(kid)]
            stack.extend((kid, depth + 1) for kid in reversed(sorted(kids, key=_when)))

    roots = [n for m in children.get(None, []) for n in pruned(m, set())]
    for root in sorted(roots, key=lambda m: _when(_first(m, children))):
        walk(root)
    return out


def _first(message: Message, children: dict[int | None, list[Message]]) -> Message:
    """A placeholder ghost sorts by its earliest child."""
    if not message.is_ghost:
        return message
    kids = children.get(message.id) or []
    return min(kids, key=_when) if kids else message
