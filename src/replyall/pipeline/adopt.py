"""After the store step: a message takes in the earlier-arrived orphans it is a better parent for.

The other half of arrival-order independence (pipeline.thread places the new message;
this lets it adopt): Thread-Index children whose nearest present ancestor was further
up, the parts of a patch series that came before their cover letter, and subject
replies whose best same-subject parent is this message. Each is one indexed lookup.
"""

from __future__ import annotations

from sqlalchemy import select

from replyall.db.models import Message
from replyall.pipeline.context import Context
from replyall.pipeline.thread import SUBJECT_LIMIT, archive_addresses, candidate_of, series_rows, subject_window
from replyall.threading import links, rules

# A message placed by these reasons is a guess a better parent may take over.
ADOPTABLE = ("subject", "new")


def adopt(ctx: Context) -> None:
    """After the row is stored: take in earlier-arrived orphans this message is a better parent for.

    Thread-Index children whose nearest present ancestor was further up, and subject
    replies whose best same-subject parent is this message. Indexed lookups on the
    conversation key and on (archive, subject_key, date).
    """
    message, session = ctx.message, ctx.session
    assert message is not None
    if message.is_ghost or message.duplicate_of_id is not None:
        return
    if message.thread_index and message.conversation_key:
        _adopt_thread_index(ctx, message)
    if message.date is not None and rules.series_of(message.subject) is not None:
        _adopt_series(ctx, message)
    if message.subject_key and message.date is not None:
        window, exclude = subject_window(ctx), archive_addresses(ctx)
        me = candidate_of(message, exclude)
        stmt = select(Message).where(
            Message.archive_id == ctx.archive.id,
            Message.subject_key == message.subject_key,
            Message.date >= message.date,
            Message.date <= message.date + window,
            Message.thread_reason.in_(ADOPTABLE),
            Message.is_ghost.is_(False),
            Message.duplicate_of_id.is_(None),
            Message.id != message.id,
        ).order_by(Message.date).limit(SUBJECT_LIMIT)
        for orphan in list(session.scalars(stmt)):
            child = candidate_of(orphan, exclude)
            if not rules.eligible(me, child, window):
                continue
            current = session.get(Message, orphan.parent_id) if orphan.parent_id is not None else None
            if current is not None and rules.rank(candidate_of(current, exclude), child) >= rules.rank(me, child):
                continue
            links.reparent(session, orphan, message, "subject")


def _adopt_thread_index(ctx: Context, message: Message) -> None:
    session = ctx.session
    ti = message.thread_index
    assert ti is not None
    stmt = select(Message).where(
        Message.archive_id == ctx.archive.id,
        Message.conversation_key == message.conversation_key,
        Message.thread_reason.in_(("thread-index", *ADOPTABLE)),
        Message.is_ghost.is_(False),
        Message.duplicate_of_id.is_(None),
        Message.id != message.id,
    )
    for orphan in list(session.scalars(stmt)):
        if not orphan.thread_index or len(orphan.thread_index) <= len(ti) or not orphan.thread_index.startswith(ti):
            continue
        current = session.get(Message, orphan.parent_id) if orphan.parent_id is not None else None
        if (
            current is not None
            and orphan.thread_reason == "thread-index"
            and len(current.thread_index or "") >= len(ti)
        ):
            continue
        links.reparent(session, orphan, message, "thread-index")


def _adopt_series(ctx: Context, message: Message) -> None:
    """A late cover letter (or part 1) takes in the parts of its series that arrived before it."""
    exclude = archive_addresses(ctx)
    me = candidate_of(message, exclude)
    for orphan in list(series_rows(ctx, me, reasons=ADOPTABLE)):
        child = candidate_of(orphan, exclude)
        if not rules.series_eligible(me, child):
            continue
        current = ctx.session.get(Message, orphan.parent_id) if orphan.parent_id is not None else None
        if current is not None:
            now = candidate_of(current, exclude)
            if rules.series_eligible(now, child) and rules.series_rank(now, child) >= rules.series_rank(me, child):
                continue
        links.reparent(ctx.session, orphan, message, "subject")
