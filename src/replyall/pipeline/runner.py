"""Run the declared steps on pending raw messages: one transaction per message, failures kept."""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.engine import Database
from replyall.db.models import Archive, RawMessage
from replyall.pipeline import STEPS
from replyall.pipeline.context import Context
from replyall.pipeline.errors import PipelineStop, Retry

log = logging.getLogger(__name__)


def claim_next(session: Session) -> RawMessage | None:
    """The oldest pending raw message, locked for this transaction.

    On PostgreSQL SKIP LOCKED lets several workers share the queue without ever
    taking the same message; on SQLite the writer already holds the database lock.
    """
    stmt = select(RawMessage).where(RawMessage.status == "pending").order_by(RawMessage.id).limit(1)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def process(session: Session, raw: RawMessage, settings: Settings, clock: Clock, *, replaying: bool = False) -> str:
    """Run every step on one claimed raw message; returns its new status.

    `replaying`: a rebuild from the raw mail, which restores moderators' decisions itself.
    """
    archive = session.get(Archive, raw.archive_id)
    assert archive is not None
    ctx = Context(session=session, settings=settings, clock=clock, raw=raw, archive=archive, replaying=replaying)
    step_name = "start"
    raw.attempts += 1
    try:
        # A savepoint: a failing step undoes its own writes, the status update survives.
        with session.begin_nested():
            for step_name, step in STEPS:
                step(ctx)
        raw.status, raw.error = "done", None
    except PipelineStop as stop:
        _stopped(raw, stop, step_name, settings)
    except IntegrityError as exc:
        # Another worker created the same ghost or thread first: the next try sees it.
        _stopped(raw, Retry(f"concurrent update: {exc.orig.__class__.__name__}"), step_name, settings)
    except OperationalError:
        raise  # the database itself is in trouble: let the transaction roll back, stay pending
    except Exception as exc:  # noqa: BLE001 - any bug in a step must not lose the message
        log.exception("step failed", extra={"message_id": raw.message_id, "step": step_name})
        raw.status, raw.error = "failed", f"{step_name}: {type(exc).__name__}: {exc}"[:2000]
    raw.processed_at = clock.now()
    log.info(
        "processed",
        extra={"message_id": raw.message_id, "status": raw.status, "archive": archive.slug, "reason": raw.error or ""},
    )
    return raw.status


def _stopped(raw: RawMessage, stop: PipelineStop, step: str, settings: Settings) -> None:
    status = stop.status
    if isinstance(stop, Retry) and raw.attempts >= settings.worker.max_attempts:
        status = "failed"
    raw.status, raw.error = status, f"{step}: {stop.reason}"
    log.info("stopped", extra={"message_id": raw.message_id, "step": step, "status": status, "reason": stop.reason})


def process_next(session: Session, settings: Settings, clock: Clock) -> str | None:
    """Claim and process one message inside the caller's transaction; None when idle."""
    raw = claim_next(session)
    if raw is None:
        return None
    return process(session, raw, settings, clock)


def drain(db: Database, settings: Settings, clock: Clock, limit: int | None = None) -> Counter[str]:
    """Process pending messages until none are left (or `limit`); counts by status."""
    counts: Counter[str] = Counter()
    while limit is None or sum(counts.values()) < limit:
        with db.transaction() as session:
            status = process_next(session, settings, clock)
        if status is None:
            break
        counts[status] += 1
    return counts
