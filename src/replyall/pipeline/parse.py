"""Step: turn the raw bytes into a ParsedMessage (never raises on bad mail; defects are recorded)."""

from __future__ import annotations

import dataclasses

from replyall.mail.mime import parse_message
from replyall.pipeline.context import Context


def run(ctx: Context) -> None:
    parsed = parse_message(ctx.raw.raw)
    if parsed.date is None:
        # RFC 5322 requires Date, but scripts and some gateways send none (or one we
        # cannot read). The time we received the message is the best date we know:
        # ordering, the subject fallback's time window and the digest all need one.
        parsed = dataclasses.replace(
            parsed,
            date=ctx.raw.received_at,
            date_offset=None,
            defects=(*parsed.defects, "no usable Date header: used the time received"),
        )
    ctx.parsed = parsed
