"""Read-only queries for the summary: the window's threads and messages, subscribers, claims (never commit)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from replyall.config import Settings
from replyall.db.models import Archive, DigestClaim, Message, Subscriber, Thread
from replyall.digest import schedule
from replyall.digest.build import UNANSWERED_DAYS, Digest, MessageIn, ThreadIn, build_digest
from replyall.digest.links import thread_url


def archive_by_slug(session: Session, slug: str) -> Archive | None:
    return session.scalars(select(Archive).where(Archive.slug == slug)).first()


def load_window(
    session: Session, archive_id: int, start: datetime, end: datetime
) -> tuple[list[ThreadIn], list[MessageIn]]:
    """Threads active since the unanswered look-back, with all their messages.

    Uses ix_threads_archive_activity; a thread's messages come through
    ix_messages_thread_date. Nothing later than `end` is loaded, so a preview of an
    old day shows that day as it was sent.
    """
    since = min(start, end - timedelta(days=UNANSWERED_DAYS))
    thread_rows = session.execute(
        select(Thread.id, Thread.key, Thread.subject, Thread.started_at, Thread.last_activity_at)
        .where(Thread.archive_id == archive_id, Thread.last_activity_at >= since)
        .order_by(Thread.id)
    ).all()
    threads = [ThreadIn(*row) for row in thread_rows]
    if not threads:
        return [], []
    ids = [t.id for t in threads]
    messages: list[MessageIn] = []
    for chunk_start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[chunk_start : chunk_start + 500]
        rows = session.execute(
            select(
                Message.id, Message.thread_id, Message.from_name, Message.from_address, Message.date,
                Message.received_at, Message.body, Message.kind, Message.hidden, Message.redacted, Message.is_ghost,
            ).where(
                Message.thread_id.in_(chunk),
                Message.is_ghost.is_(False),
                # A near-duplicate copy (same text under another Message-ID) is not news twice.
                Message.duplicate_of_id.is_(None),
                or_(Message.received_at < end, Message.received_at.is_(None)),
            )
        ).all()
        messages.extend(MessageIn(*row) for row in rows)
    return threads, messages


def digest_for(session: Session, settings: Settings, slug: str, day: date) -> Digest | None:
    """The summary of archive `slug` for the window ending at `day`'s send time; None for an unknown archive."""
    archive = archive_by_slug(session, slug)
    if archive is None:
        return None
    start, end = schedule.window(day, settings)
    threads, messages = load_window(session, archive.id, start, end)
    return build_digest(
        archive_slug=archive.slug,
        archive_name=archive.name,
        day=day,
        window_start=start,
        window_end=end,
        threads=threads,
        messages=messages,
        thread_url=lambda key: thread_url(settings, archive.slug, key),
        obfuscate=settings.web.obfuscate_addresses and archive.visibility == "public",
    )


def recipients(session: Session, archive_id: int, as_of: datetime) -> list[tuple[int, str]]:
    """(subscriber id, address) of active subscribers confirmed by `as_of` (the send instant).

    Someone who confirms after the send time gets tomorrow's summary, even when a
    restart makes today's run late.
    """
    rows = session.execute(
        select(Subscriber.id, Subscriber.address)
        .where(Subscriber.archive_id == archive_id, Subscriber.status == "active", Subscriber.confirmed_at <= as_of)
        .order_by(Subscriber.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def subscribers(session: Session, archive_id: int) -> list[Subscriber]:
    return list(session.scalars(select(Subscriber).where(Subscriber.archive_id == archive_id).order_by(Subscriber.address)))


def subscriber(session: Session, archive_id: int, address: str) -> Subscriber | None:
    return session.scalars(
        select(Subscriber).where(Subscriber.archive_id == archive_id, Subscriber.address == address.lower())
    ).first()


def claims(session: Session, archive_id: int, day: date) -> list[DigestClaim]:
    return list(
        session.scalars(
            select(DigestClaim).where(DigestClaim.archive_id == archive_id, DigestClaim.day == day).order_by(DigestClaim.id)
        )
    )
