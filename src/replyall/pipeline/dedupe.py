"""Step: collapse copies that carry a different Message-ID but are the same message.

Identical Message-IDs never get this far: intake keeps one raw message per archive
and Message-ID and counts the repeat deliveries. What remains are copies re-sent
through another route that minted a new Message-ID (Exchange journaling, a gateway
re-injecting a bounce, a user's "send again"): same sender, Date within two minutes,
same cleaned body (and, as guards, the same Subject, In-Reply-To and References).
The copy keeps its raw bytes (raw is the truth) and gets a Message
row pointing at the one we keep (duplicate_of_id), so replies to either id thread
correctly; the kept message's delivery_count goes up and the copy is not shown.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from replyall.db.models import Message
from replyall.pipeline.context import Context

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=2)
# Only messages with some text of their own are compared: two empty bodies (an
# attachment sent twice with different files) prove nothing.
MIN_BODY = 1


def _same_body(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def find_original(ctx: Context) -> Message | None:
    """The kept message this one is a near-duplicate of, or None (one indexed lookup on the sender)."""
    parsed, cleaned = ctx.parsed, ctx.cleaned
    assert parsed is not None and cleaned is not None
    sender = ((parsed.from_[1] if parsed.from_ else "") or "").lower()
    body = cleaned.body or ""
    if not sender or parsed.date is None or len(body.strip()) < MIN_BODY:
        return None
    rows = ctx.session.scalars(
        select(Message)
        .where(
            Message.archive_id == ctx.archive.id,
            Message.from_address == sender,
            Message.date >= parsed.date - WINDOW,
            Message.date <= parsed.date + WINDOW,
            Message.is_ghost.is_(False),
            Message.duplicate_of_id.is_(None),
            Message.message_id_hash != ctx.raw.message_id_hash,
        )
        .order_by(Message.id)
        .limit(50)
    )
    subject = " ".join((parsed.subject or "").split())
    in_reply_to = " ".join(parsed.in_reply_to) or None
    references = list(parsed.references)
    # A copy carries the same Subject and threading headers too. Without these guards
    # a patch series (short, alike cleaned bodies) or a spammer's identical posts
    # under different subjects collapse into one (seen on jailhouse-dev).
    return next(
        (
            row
            for row in rows
            if _same_body(row.body, body)
            and " ".join(row.subject.split()) == subject
            and row.in_reply_to == in_reply_to
            and list(row.references or []) == references
        ),
        None,
    )


def run(ctx: Context) -> None:
    original = find_original(ctx)
    if original is None:
        ctx.extra.pop("duplicate_of", None)
        return
    # Read by the thread step (join the original's thread) and the store step
    # (write the copy as duplicate_of, count one more delivery on the original).
    ctx.extra["duplicate_of"] = original
    log.info("near-duplicate", extra={"message_id": ctx.raw.message_id, "duplicate_of": original.message_id})
