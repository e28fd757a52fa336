"""Step: split the text into what the author wrote and the quote, signature and disclaimer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.cleaning import BODY, DISCLAIMER, SIGNATURE, BoilerplateLearner, Cleaned, clean_text
from replyall.db.boilerplate import DbBoilerplateStore
from replyall.mail.mime import ParsedMessage
from replyall.pipeline.context import Context

#: Only people's own mail teaches boilerplate: a bounce or a read receipt quotes
#: someone else's text, and would credit its footer to the mailer daemon.
LEARNS_FROM = frozenset({"normal"})


def learner_from(session: Session, archive_id: int, clock: Clock) -> BoilerplateLearner:
    """An archive's boilerplate learner, reading and writing through the caller's transaction."""
    return BoilerplateLearner(DbBoilerplateStore(session, archive_id, clock))


def clean_parsed(parsed: ParsedMessage, learner: BoilerplateLearner | None) -> Cleaned:
    """Clean one parsed message with what the archive has learned (used by reindex too)."""
    sender = parsed.from_[1] if parsed.from_ else None
    return clean_text(parsed.text or "", html=parsed.html, from_address=sender, boilerplate=learner,
                      pictures=parsed.pictures())


def observe(learner: BoilerplateLearner, parsed: ParsedMessage, cleaned: Cleaned, kind: str) -> None:
    """Teach the learner this message's first and last blocks (the quote already cut)."""
    sender = parsed.from_[1] if parsed.from_ else None
    if kind in LEARNS_FROM and sender:
        learner.observe(cleaned.text(BODY, SIGNATURE, DISCLAIMER), sender)


def run(ctx: Context) -> None:
    parsed = ctx.parsed
    assert parsed is not None
    learner = learner_from(ctx.session, ctx.archive.id, ctx.clock)
    # Clean with what earlier messages taught, then let this one teach: a footer
    # becomes boilerplate from the message after the one that confirms it.
    ctx.cleaned = clean_parsed(parsed, learner)
    observe(learner, parsed, ctx.cleaned, ctx.kind)
