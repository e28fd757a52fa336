"""Several workers sharing one database: every message processed exactly once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from replyall.db.engine import Database
from replyall.db.models import Archive, Message, RawMessage
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain


def _message(i: int) -> bytes:
    return (
        f"From: Person {i} <p{i}@council{i % 7}.example.gov.uk>\r\n"
        f"To: everyone@example.gov.uk\r\nMessage-ID: <m{i}@example.gov.uk>\r\n"
        f"Subject: Question {i}\r\nDate: Mon, 16 Nov 2026 10:{i % 60:02d}:00 +0000\r\n\r\n"
        f"Answer number {i}.\r\n"
    ).encode()


def test_concurrent_workers_process_each_message_once(db, settings, clock):
    with db.transaction() as session:
        archive_id = session.scalar(select(Archive.id).where(Archive.slug == "comms-network"))
        for i in range(60):
            store_raw(session, archive_id, _message(i), clock=clock, source="import")

    # Each worker has its own engine and connection pool, as separate processes would.
    results, errors = [], []

    def work() -> None:
        own = Database.from_url(settings.database.url)
        try:
            results.append(drain(own, settings, clock))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            own.close()

    workers = [threading.Thread(target=work) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)

    assert errors == []
    assert sum(sum(c.values()) for c in results) == 60  # no message claimed twice
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 60
        statuses = session.execute(select(RawMessage.status, RawMessage.attempts)).all()
    assert set(statuses) == {("done", 1)}


def test_failed_step_keeps_raw_and_reason(db, settings, clock, monkeypatch):
    from replyall.pipeline import runner

    def broken(ctx):
        raise ValueError("boom in a step")

    steps = tuple((name, broken if name == "clean" else fn) for name, fn in runner.STEPS)
    monkeypatch.setattr(runner, "STEPS", steps)
    with db.transaction() as session:
        archive_id = session.scalar(select(Archive.id).where(Archive.slug == "comms-network"))
        store_raw(session, archive_id, _message(1), clock=clock, source="smtp")
    assert drain(db, settings, clock) == {"failed": 1}
    with db.reader() as session:
        raw = session.scalars(select(RawMessage)).one()
        assert raw.raw == _message(1)
        assert raw.error == "clean: ValueError: boom in a step"
        assert session.scalar(select(func.count()).select_from(Message)) == 0
