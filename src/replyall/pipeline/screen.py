"""Step: note whether the archive's administrators banned the sender (admin/bans.py).

The message is archived all the same; the store step hides it when it first arrives.
"""

from __future__ import annotations

from replyall.admin.bans import ban_for
from replyall.pipeline.context import Context


def run(ctx: Context) -> None:
    assert ctx.parsed is not None
    if ctx.replaying:
        return  # a rebuild restores each message's hidden flag as it was
    address = (ctx.parsed.from_ or ("", ""))[1]
    if address:
        ctx.ban = ban_for(ctx.session, ctx.archive.id, address)
