"""Build small messages, feed them through intake + the real pipeline, and read the threads back."""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy import select

from replyall.db.models import Archive, Message, Thread
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain

BASE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make(
    mid: str,
    *,
    subject: str = "Road closures",
    sender: str = "alice@council.example.gov.uk",
    to: tuple[str, ...] = ("comms-network@archive.example.org",),
    cc: tuple[str, ...] = (),
    minutes: float = 0,
    in_reply_to: str | None = None,
    references: str | None = None,
    thread_index: bytes | None = None,
    thread_topic: str | None = None,
    body: str | None = None,
) -> bytes:
    """One RFC 5322 message; `minutes` after BASE; ids given without brackets."""
    lines = [
        f"From: {sender}",
        f"To: {', '.join(to)}",
        *([f"Cc: {', '.join(cc)}"] if cc else []),
        f"Subject: {subject}",
        f"Date: {format_datetime(BASE + timedelta(minutes=minutes))}",
        f"Message-ID: <{mid}>",
    ]
    if in_reply_to is not None:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references is not None:
        lines.append(f"References: {references}")
    if thread_index is not None:
        lines.append(f"Thread-Index: {base64.b64encode(thread_index).decode()}")
    if thread_topic is not None:
        lines.append(f"Thread-Topic: {thread_topic}")
    text = body if body is not None else f"Message {mid} says something of its own.\n"
    return ("\r\n".join(lines) + "\r\n\r\n" + text.replace("\n", "\r\n")).encode()


def archive_id(session, slug: str = "comms-network") -> int:
    return session.scalar(select(Archive.id).where(Archive.slug == slug))


def feed(db, settings, clock, messages: list[bytes], slug: str = "comms-network") -> None:
    """Store each message raw and run the pipeline on it, one at a time, in the given order."""
    for data in messages:
        with db.transaction() as session:
            store_raw(session, archive_id(session, slug), data, clock=clock, source="import")
        counts = drain(db, settings, clock)
        assert set(counts) <= {"done"}, counts


def snapshot(db) -> dict[str, tuple[str | None, frozenset[str], str]]:
    """message-id -> (parent message-id with ghosts pruned, ids of its thread's real messages, reason)."""
    with db.reader() as session:
        rows = list(session.scalars(select(Message)))
    by_id = {m.id: m for m in rows}
    members: dict[int, set[str]] = defaultdict(set)
    for m in rows:
        if not m.is_ghost and m.duplicate_of_id is None:
            members[m.thread_id].add(m.message_id)
    out = {}
    for m in rows:
        if m.is_ghost or m.duplicate_of_id is not None:
            continue
        parent = by_id.get(m.parent_id)
        while parent is not None and parent.is_ghost:
            parent = by_id.get(parent.parent_id)
        out[m.message_id] = (parent.message_id if parent else None, frozenset(members[m.thread_id]), m.thread_reason)
    return out


def groups(db) -> set[frozenset[str]]:
    return {threads for _, threads, _ in snapshot(db).values()}


def rows_by_mid(db) -> dict[str, Message]:
    with db.reader() as session:
        return {m.message_id: m for m in session.scalars(select(Message))}


def threads(db) -> list[Thread]:
    with db.reader() as session:
        return list(session.scalars(select(Thread)))
