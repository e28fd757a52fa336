"""The audit log: who did what to which item, and when; never the content itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.db.models import AuditEntry

ACTIONS = (
    "hide", "unhide", "redact", "erase", "erase-address", "refuse-erasure", "retry",
    "move", "merge", "split", "ban", "unban", "hide-banned",
)


def record(
    session: Session,
    clock: Clock,
    actor: str,
    action: str,
    target: str,
    *,
    archive_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=clock.now(), actor=actor, action=action, archive_id=archive_id, target=target, detail=detail or {}
    )
    session.add(entry)
    session.flush()
    return entry


def recent(session: Session, *, limit: int = 200, target: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if target is not None:
        stmt = stmt.where(AuditEntry.target == target)
    return list(session.scalars(stmt))
