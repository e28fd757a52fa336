"""Read-only queries behind the web pages and the API; none of them commits or writes."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, load_only, selectinload

from replyall.db.models import Archive, Attachment, Message, RawMessage, Thread
from replyall.db.queries import resolve_thread_key

AUTO_KINDS = ("auto_reply", "bounce", "recall", "receipt")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_ATTACHMENT_META = load_only(
    Attachment.id, Attachment.message_id, Attachment.position, Attachment.filename,
    Attachment.content_type, Attachment.size, Attachment.content_id,
)

# What the thread page and the API show; references, defects and recipients stay unread.
_THREAD_COLUMNS = load_only(
    Message.id, Message.archive_id, Message.thread_id, Message.parent_id, Message.raw_id, Message.message_id,
    Message.message_id_hash, Message.is_ghost, Message.thread_reason, Message.subject, Message.from_name,
    Message.from_address, Message.date, Message.body, Message.quote, Message.signature, Message.disclaimer,
    Message.original, Message.kind, Message.hidden, Message.redacted, Message.has_attachments,
    Message.duplicate_of_id, Message.received_at,
)


@dataclass
class ArchiveStats:
    archive: Archive
    message_count: int
    thread_count: int
    last_activity_at: datetime | None


def archive_stats(session: Session, archives: list[Archive]) -> list[ArchiveStats]:
    ids = [a.id for a in archives]
    if not ids:
        return []
    rows = session.execute(
        select(Thread.archive_id, func.count(Thread.id), func.coalesce(func.sum(Thread.message_count), 0),
               func.max(Thread.last_activity_at))
        .where(Thread.archive_id.in_(ids), Thread.message_count > 0)
        .group_by(Thread.archive_id)
    ).all()
    by_id = {aid: (threads, messages, last) for aid, threads, messages, last in rows}
    out = []
    for a in archives:
        threads, messages, last = by_id.get(a.id, (0, 0, None))
        out.append(ArchiveStats(a, int(messages), int(threads), last))
    return out


def _visible_threads(archive_id: int):
    # A thread holding only ghosts (parents we never received) is not a conversation yet.
    return and_(Thread.archive_id == archive_id, Thread.message_count > 0)


def thread_page(session: Session, archive_id: int, page: int, per_page: int) -> tuple[list[Thread], int]:
    """Threads by latest activity, newest first, and the total count."""
    total = session.scalar(select(func.count()).select_from(Thread).where(_visible_threads(archive_id))) or 0
    threads = session.scalars(
        select(Thread)
        .where(_visible_threads(archive_id))
        .order_by(Thread.last_activity_at.desc().nulls_last(), Thread.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(threads), total


def threads_between(session: Session, archive_id: int, start: datetime, end: datetime) -> list[Thread]:
    """Threads started in [start, end), oldest first (browse by month)."""
    return list(
        session.scalars(
            select(Thread)
            .where(_visible_threads(archive_id), Thread.started_at >= start, Thread.started_at < end)
            .order_by(Thread.started_at, Thread.id)
        )
    )


def message_dates(session: Session, archive_id: int) -> list[datetime]:
    return [
        d for d in session.scalars(
            select(Message.date).where(Message.archive_id == archive_id, Message.is_ghost.is_(False), Message.date.is_not(None))
        )
    ]


def resolve_thread(session: Session, key: str) -> Thread | None:
    """A thread by its public key, following the alias of a thread merged into another."""
    return resolve_thread_key(session, key)


#: The columns the thread page shows or orders by (_THREAD_COLUMNS less the Message-ID itself).
_PAGE_COLUMNS = (
    Message.id, Message.parent_id, Message.duplicate_of_id, Message.raw_id, Message.message_id_hash,
    Message.is_ghost, Message.thread_reason, Message.subject, Message.from_name, Message.from_address, Message.date,
    Message.received_at, Message.body, Message.quote, Message.signature, Message.disclaimer, Message.original,
    Message.kind, Message.hidden, Message.redacted,
)


def thread_rows(session: Session, thread_id: int) -> tuple[list, dict[int, list]]:
    """The thread page's data in two plain queries: its rows by date (ghosts included; Core rows with
    Message's column names) and attachment metadata by message id.

    Plain rows, not ORM objects: a page only reads them, and building 200 tracked
    instances plus a selectin load of their attachments cost more than the SQL.
    """
    rows = session.execute(
        select(*_PAGE_COLUMNS).where(Message.thread_id == thread_id).order_by(Message.date.nulls_first(), Message.id)
    ).all()
    attachments: dict[int, list] = defaultdict(list)
    for a in session.execute(
        select(Attachment.message_id, Attachment.position, Attachment.filename, Attachment.content_type,
               Attachment.size, Attachment.content_id)
        .join(Message, Message.id == Attachment.message_id)
        .where(Message.thread_id == thread_id)
        .order_by(Attachment.message_id, Attachment.position)
    ):
        attachments[a.message_id].append(a)
    return list(rows), attachments


def thread_messages(session: Session, thread_id: int) -> list[Message]:
    """Every message of a thread (ghosts included), by date, with attachment metadata but no bytes."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.thread_id == thread_id)
            .options(_THREAD_COLUMNS, selectinload(Message.attachments).options(_ATTACHMENT_META))
            .order_by(Message.date.nulls_first(), Message.id)
        )
    )


def first_messages(session: Session, thread_ids: list[int]) -> dict[int, Message]:
    """The opening (earliest real) message of each thread, for starters and summaries."""
    if not thread_ids:
        return {}
    rows = session.scalars(
        select(Message)
        .where(Message.thread_id.in_(thread_ids), Message.is_ghost.is_(False))
        .options(load_only(Message.id, Message.thread_id, Message.from_name, Message.from_address, Message.date,
                           Message.kind, Message.body, Message.hidden))
        .order_by(Message.thread_id, Message.date.nulls_last(), Message.id)
    ).all()
    out: dict[int, Message] = {}
    for m in rows:
        out.setdefault(m.thread_id, m)
    return out


def human_reply_counts(session: Session, thread_ids: list[int]) -> dict[int, int]:
    """Messages per thread written by people (auto-replies and bounces are not answers, nor is
    a message the moderators hid)."""
    if not thread_ids:
        return {}
    rows = session.execute(
        select(Message.thread_id, func.count())
        .where(Message.thread_id.in_(thread_ids), Message.is_ghost.is_(False), Message.hidden.is_(False),
               Message.kind.not_in(AUTO_KINDS))
        .group_by(Message.thread_id)
    ).all()
    return {tid: n for tid, n in rows}


def message_by_hash(session: Session, mid_hash: str, archive_ids: list[int]) -> Message | None:
    """A real (non-ghost) message by permalink hash within the archives the reader may see, in a
    conversation they may see (not one the moderators hid whole: message_count 0)."""
    if not archive_ids:
        return None
    return session.scalars(
        select(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .where(Message.message_id_hash == mid_hash.upper(), Message.archive_id.in_(archive_ids),
               Message.is_ghost.is_(False), Thread.message_count > 0)
        .options(selectinload(Message.attachments).options(_ATTACHMENT_META))
        .order_by(Message.archive_id)
    ).first()


def message_by_message_id(session: Session, message_id: str, archive_ids: list[int]) -> Message | None:
    from replyall.mail.headers import message_id_hash

    return message_by_hash(session, message_id_hash(message_id.strip().strip("<>")), archive_ids)


def raw_bytes(session: Session, raw_id: int | None) -> bytes | None:
    if raw_id is None:
        return None
    return session.scalar(select(RawMessage.raw).where(RawMessage.id == raw_id))


def attachment(session: Session, message_id: int, position: int) -> Attachment | None:
    return session.scalars(
        select(Attachment).where(Attachment.message_id == message_id, Attachment.position == position)
    ).first()


def person_key(address: str) -> str:
    """The URL id of a participant: a hash, so the page URL never reveals the address."""
    return hashlib.sha256(address.lower().encode("utf-8")).hexdigest()[:16]


@dataclass
class Person:
    address: str
    name: str
    message_count: int = 0
    threads_started: int = 0
    last_date: datetime | None = None
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = person_key(self.address)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def people(session: Session, archive_id: int) -> list[Person]:
    """Every sender in an archive with message and thread-start counts, most active first.

    Hidden messages are left out, as everywhere readers look: a spammer whose mail the
    moderators hid is nobody's correspondent."""
    rows = session.execute(
        select(Message.from_address, func.max(Message.from_name), func.count(), func.max(Message.date))
        .where(Message.archive_id == archive_id, Message.is_ghost.is_(False), Message.hidden.is_(False),
               Message.from_address != "", Message.kind.not_in(AUTO_KINDS))
        .group_by(Message.from_address)
    ).all()
    found = {addr: Person(addr, name or "", count, 0, None) for addr, name, count, _last in rows}
    for addr, _name, _count, last in rows:
        if isinstance(last, datetime):
            found[addr].last_date = last
    for addr, n in starters(session, archive_id).items():
        if addr in found:
            found[addr].threads_started = n
    return sorted(found.values(), key=lambda p: (-p.message_count, p.name.lower(), p.address))


def starters(session: Session, archive_id: int) -> dict[str, int]:
    """Address -> number of threads whose first message they sent (and the moderators did not hide)."""
    firsts = (
        select(Message.thread_id, func.min(Message.date).label("first"))
        .where(Message.archive_id == archive_id, Message.is_ghost.is_(False))
        .group_by(Message.thread_id)
        .subquery()
    )
    rows = session.execute(
        select(Message.from_address, func.count(func.distinct(Message.thread_id)))
        .join(firsts, and_(Message.thread_id == firsts.c.thread_id, Message.date == firsts.c.first))
        .where(Message.is_ghost.is_(False), Message.hidden.is_(False))
        .group_by(Message.from_address)
    ).all()
    return {addr: n for addr, n in rows}


def person_by_key(session: Session, archive_id: int, key: str) -> Person | None:
    for person in people(session, archive_id):
        if person.key == key:
            return person
    return None


def messages_from(session: Session, archive_id: int, address: str, limit: int = 200) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.archive_id == archive_id, Message.from_address == address, Message.is_ghost.is_(False),
                   Message.hidden.is_(False))
            .options(load_only(Message.id, Message.thread_id, Message.message_id_hash, Message.subject, Message.date,
                               Message.kind, Message.hidden))
            .order_by(Message.date.desc().nulls_last(), Message.id.desc())
            .limit(limit)
        )
    )


def threads_by_ids(session: Session, ids: list[int]) -> dict[int, Thread]:
    if not ids:
        return {}
    return {t.id: t for t in session.scalars(select(Thread).where(Thread.id.in_(ids)))}


def exportable(session: Session, archive_id: int, *, thread_id: int | None = None,
               start: datetime | None = None, end: datetime | None = None, batch: int = 200):
    """Yield (raw bytes, envelope sender, date) of real, visible messages, in date order, in batches.

    Keyset pagination over (date, id) keeps memory flat for an archive of any size.
    """
    base = (
        select(Message.id, Message.date, RawMessage.raw, RawMessage.envelope_from, RawMessage.received_at)
        .join(RawMessage, RawMessage.id == Message.raw_id)
        .where(Message.archive_id == archive_id, Message.is_ghost.is_(False), Message.hidden.is_(False))
    )
    if thread_id is not None:
        base = base.where(Message.thread_id == thread_id)
    if start is not None:
        base = base.where(Message.date >= start)
    if end is not None:
        base = base.where(Message.date < end)
    last_id = 0
    # Order by id for stable keyset paging; within a thread or a date range id order
    # is arrival order, which is what mbox readers sort by anyway.
    while True:
        rows = session.execute(base.where(Message.id > last_id).order_by(Message.id).limit(batch)).all()
        if not rows:
            return
        for mid, date, raw, envelope_from, received in rows:
            yield raw, envelope_from, date or received
        last_id = rows[-1][0]


def group_by_thread(messages: list[Message]) -> dict[int, list[Message]]:
    out: dict[int, list[Message]] = defaultdict(list)
    for m in messages:
        out[m.thread_id].append(m)
    return out


def threads_started_by(session: Session, archive_id: int, address: str) -> list[Thread]:
    """Threads whose earliest real message came from this address, newest first (as starters() counts)."""
    firsts = first_messages(
        session,
        list(session.scalars(
            select(Message.thread_id).distinct().where(Message.archive_id == archive_id, Message.from_address == address)
        )),
    )
    ids = [tid for tid, m in firsts.items() if m.from_address == address and not m.hidden]
    threads = threads_by_ids(session, ids)
    return sorted(threads.values(), key=lambda t: (t.started_at or EPOCH, t.id), reverse=True)
