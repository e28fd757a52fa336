"""GET /healthz reports database reachability and the processing backlog."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient

from replyall.db.engine import Database
from replyall.db.models import Archive, RawMessage
from replyall.web.app import create_app


def _raw(archive_id, mid, status, when):
    data = f"Message-ID: <{mid}>\r\n\r\nhi\r\n".encode()
    return RawMessage(
        archive_id=archive_id, message_id=mid, message_id_hash=hashlib.sha1(mid.encode()).hexdigest()[:32],
        source="smtp", received_at=when, raw=data, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        status=status,
    )


def test_healthz_reports_backlog(db, settings, clock):
    with db.transaction() as s:
        archive_id = s.query(Archive.id).filter_by(slug="comms-network").scalar()
        s.add(_raw(archive_id, "a@x", "pending", clock.now() - timedelta(seconds=90)))
        s.add(_raw(archive_id, "b@x", "pending", clock.now() - timedelta(seconds=30)))
        s.add(_raw(archive_id, "c@x", "failed", clock.now()))
        s.add(_raw(archive_id, "d@x", "done", clock.now()))
    client = TestClient(create_app(settings, db, clock))
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["backlog"] == {"pending": 2, "failed": 1, "oldest_pending_seconds": 90.0}


def test_healthz_503_when_database_unreachable(settings_factory, clock, tmp_path):
    # A real unreachable database: a PostgreSQL URL on a port where nothing listens.
    settings = settings_factory("postgresql+psycopg://postgres@127.0.0.1:1/none")
    db = Database.from_url(settings.database.url)
    try:
        response = TestClient(create_app(settings, db, clock)).get("/healthz")
    finally:
        db.close()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
