"""Step: mark auto-replies, bounces, recalls and receipts; drop what must not be archived."""

from __future__ import annotations

from replyall.digest import DIGEST_HEADER
from replyall.mail.classify import classify, is_no_archive
from replyall.pipeline.context import Context
from replyall.pipeline.errors import Discard


def run(ctx: Context) -> None:
    assert ctx.parsed is not None
    if is_no_archive(ctx.parsed):
        # X-No-Archive: yes / Archive: no (RFC 2369 era convention, honoured by
        # Mailman and Google Groups): we accepted it, but we do not publish it.
        raise Discard("sender asked not to archive (X-No-Archive / Archive: no)")
    if ctx.parsed.header(DIGEST_HEADER) is not None:
        # Our own daily summary came back (a subscriber replied all, a forwarding rule).
        raise Discard("our own daily summary came back (X-Replyall-Digest)")
    ctx.kind = classify(ctx.parsed)
