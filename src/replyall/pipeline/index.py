"""Step: update the search index in the same transaction as the message."""

from __future__ import annotations

from replyall.pipeline.context import Context


def run(ctx: Context) -> None:
    return None
