"""Step: turn the raw bytes into a ParsedMessage (never raises on bad mail; defects are recorded)."""

from __future__ import annotations

from replyall.mail.mime import parse_message
from replyall.pipeline.context import Context


def run(ctx: Context) -> None:
    ctx.parsed = parse_message(ctx.raw.raw)
