"""Search test helpers: deliver real RFC 5322 messages through intake and the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from replyall.db.models import Archive, Message, Thread
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain


class Mailer:
    """Builds messages, stores them raw (store_raw) and runs the pipeline (drain), like the worker does."""

    def __init__(self, db, settings, clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self.count = 0

    def send(
        self,
        subject: str = "Hello",
        body: str = "Hello all",
        *,
        archive: str = "comms-network",
        sender: str = "Jane Smith <jane.smith@council.gov.uk>",
        to: str = "comms-network@archive.example.org",
        cc: str | None = None,
        date: datetime | None = None,
        mid: str | None = None,
        in_reply_to: str | None = None,
        headers: dict[str, str] | None = None,
        attachments: list[tuple[str, bytes]] = (),
        drain_now: bool = True,
    ) -> str:
        self.count += 1
        mid = mid or f"m{self.count}@test.example"
        msg = EmailMessage()
        msg["Message-ID"] = f"<{mid}>"
        msg["From"] = sender
        msg["To"] = to
        if cc:
            msg["Cc"] = cc
        msg["Subject"] = subject
        msg["Date"] = format_datetime(date or datetime(2025, 3, 3, 10, 0, tzinfo=UTC))
        if in_reply_to:
            msg["In-Reply-To"] = f"<{in_reply_to}>"
            msg["References"] = f"<{in_reply_to}>"
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.set_content(body)
        for filename, data in attachments:
            msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
        with self.db.transaction() as session:
            archive_id = session.scalar(select(Archive.id).where(Archive.slug == archive))
            store_raw(session, archive_id, msg.as_bytes(), clock=self.clock, source="test")
        if drain_now:
            self.drain()
        return mid

    def drain(self) -> None:
        counts = drain(self.db, self.settings, self.clock)
        assert set(counts) <= {"done"}, counts

    def message(self, mid: str) -> Message:
        with self.db.reader() as session:
            return session.scalars(select(Message).where(Message.message_id == mid)).one()

    def thread_key(self, mid: str) -> str:
        with self.db.reader() as session:
            return session.scalar(
                select(Thread.key).join(Message, Message.thread_id == Thread.id).where(Message.message_id == mid)
            )


@pytest.fixture
def mailer(db, settings, clock) -> Mailer:
    return Mailer(db, settings, clock)


@pytest.fixture
def find(db):
    """find(query, **kw) -> SearchPage over every archive (access is tested separately)."""
    from replyall.search import search

    def run(query: str, **kw):
        kw.setdefault("archive_ids", None)
        with db.reader() as session:
            return search(session, query, **kw)

    return run
