"""Helpers for intake tests: a live SMTP listener in its own event-loop thread, rows, messages."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Callable

from sqlalchemy import select

from replyall.db.models import Archive, RawMessage
from replyall.intake.smtp import start_server


class LiveServer:
    """start_server() in a background loop, as `replyall serve` runs it in its own."""

    def __init__(self, settings, db, clock, on_stored: Callable[[], None] | None = None) -> None:
        self.settings, self.db, self.clock = settings, db, clock
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="smtp-test-loop", daemon=True)
        self.thread.start()
        self.server = self.call(start_server(settings, db, clock, on_stored=on_stored))
        self.port: int = self.server.port

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def client(self, **kwargs) -> smtplib.SMTP:
        client = smtplib.SMTP("127.0.0.1", self.port, timeout=10, **kwargs)
        client.ehlo("client.test")
        return client

    def send(self, data: bytes, to=("comms-network@archive.example.org",), sender="alice@council.test", **options):
        with self.client() as client:
            return client.sendmail(sender, list(to), data, **options)

    def close(self) -> None:
        try:
            self.call(self.server.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def raw_rows(db, slug: str | None = None) -> list[RawMessage]:
    with db.reader() as session:
        stmt = select(RawMessage).order_by(RawMessage.id)
        if slug is not None:
            stmt = stmt.join(Archive, Archive.id == RawMessage.archive_id).where(Archive.slug == slug)
        return list(session.scalars(stmt))


def make_message(mid: str | None = "<m1@council.test>", subject: str = "Comms update", body: str = "Hello all\r\n",
                 extra: str = "") -> bytes:
    head = "From: Alice <alice@council.test>\r\nTo: comms-network@archive.example.org\r\n"
    head += f"Subject: {subject}\r\nDate: Thu, 19 Nov 2026 10:00:00 +0000\r\n"
    if mid:
        head += f"Message-ID: {mid}\r\n"
    return (head + extra + "\r\n" + body).encode()
