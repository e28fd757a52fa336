"""Step: split the text into what the author wrote and the quote, signature and disclaimer."""

from __future__ import annotations

from replyall.cleaning import clean_text
from replyall.pipeline.context import Context


def run(ctx: Context) -> None:
    parsed = ctx.parsed
    assert parsed is not None
    ctx.cleaned = clean_text(parsed.text or "", html=parsed.html, from_address=parsed.from_[1] if parsed.from_ else None)
