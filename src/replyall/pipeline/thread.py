"""Step: find the thread this message belongs to (references first, then new thread)."""

from __future__ import annotations

from sqlalchemy import select

from replyall.db.models import Message, Thread
from replyall.mail.headers import message_id_hash, parent_candidates
from replyall.pipeline.context import Context


def run(ctx: Context) -> None:
    parsed = ctx.parsed
    assert parsed is not None
    candidates = parent_candidates(parsed.in_reply_to, parsed.references, ctx.raw.message_id)
    for mid in reversed(candidates):
        parent = ctx.session.scalars(
            select(Message).where(
                Message.archive_id == ctx.archive.id, Message.message_id_hash == message_id_hash(mid)
            )
        ).first()
        if parent is not None:
            ctx.parent, ctx.thread = parent, parent.thread
            ctx.thread_reason = "references"
            return
    ctx.thread = Thread(archive_id=ctx.archive.id, key=ctx.raw.message_id_hash[:16].lower())
    ctx.session.add(ctx.thread)
    ctx.thread_reason = "new"
