"""Step: update the search index in the same transaction as the message."""

from __future__ import annotations

from replyall.pipeline.context import Context
from replyall.search import index_message


def run(ctx: Context) -> None:
    if ctx.message is None:
        return
    # Same session and savepoint as the store step: if anything later fails, the
    # message and its index entry are rolled back together.
    index_message(ctx.session, ctx.message)
