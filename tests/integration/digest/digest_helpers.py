"""Helpers for the digest tests: mail through the real pipeline and a live SMTP intake (the relay is support.relay)."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from email.utils import format_datetime

from replyall.db.models import Archive
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain


def archive_id(db, slug: str = "comms-network") -> int:
    with db.reader() as session:
        return session.query(Archive.id).filter_by(slug=slug).scalar()


def mail(
    mid: str,
    sender: str,
    subject: str,
    body: str,
    *,
    when: datetime,
    reply_to: str | None = None,
    to: str = "comms-network@archive.example.org",
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: <{mid}>",
        f"Date: {format_datetime(when)}",
    ]
    if reply_to:
        lines += [f"In-Reply-To: <{reply_to}>", f"References: <{reply_to}>"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body]
    return "\r\n".join(lines).encode("utf-8")


def deliver(db, settings, clock, raw: bytes, slug: str = "comms-network") -> None:
    """Through the real path: raw store at the clock's time, then the whole pipeline."""
    with db.transaction() as session:
        store_raw(session, archive_id(db, slug), raw, clock=clock, source="smtp")
    drain(db, settings, clock)


class LiveIntake:
    """The real SMTP listener (intake.smtp.start_server) in its own loop thread."""

    def __init__(self, settings, db, clock) -> None:
        from replyall.intake.smtp import start_server

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(start_server(settings, db, clock), self.loop).result(30)
        self.port: int = self.server.port

    def send(self, data: bytes, to: list[str], sender: str = "reader@example.gov.uk"):
        import smtplib

        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.ehlo("client.test")
            return client.sendmail(sender, to, data)

    def close(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
