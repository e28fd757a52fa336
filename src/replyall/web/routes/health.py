"""GET /healthz: database reachability and the processing backlog, for load balancers and Docker."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from replyall.db.models import RawMessage
from replyall.web.deps import ClockDep, DbDep

router = APIRouter()


@router.get("/healthz", tags=["health"])
def healthz(db: DbDep, clock: ClockDep) -> JSONResponse:
    try:
        with db.reader() as session:
            rows = session.execute(
                select(RawMessage.status, func.count(), func.min(RawMessage.received_at))
                .where(RawMessage.status.in_(("pending", "failed")))
                .group_by(RawMessage.status)
            ).all()
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "error", "database": "unreachable", "error": type(exc).__name__}, status_code=503
        )
    by_status = {status: (count, oldest) for status, count, oldest in rows}
    pending, oldest = by_status.get("pending", (0, None))
    age = (clock.now() - oldest).total_seconds() if oldest else 0.0
    return JSONResponse(
        {
            "status": "ok",
            "database": "ok",
            "backlog": {"pending": pending, "failed": by_status.get("failed", (0, None))[0], "oldest_pending_seconds": round(age, 1)},
        }
    )
