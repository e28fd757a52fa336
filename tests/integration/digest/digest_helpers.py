"""Helpers for the digest tests: a real aiosmtpd sink in its own loop thread, and mail through the real pipeline."""

from __future__ import annotations

import asyncio
import email
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from replyall.db.models import Archive
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, f"no text/{subtype} part"
        return body.get_content().replace("\r\n", "\n")


class SinkHandler:
    """Records every message; `script[address]` lists replies to give at RCPT, one per attempt."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: dict[str, list[str]] = {}
        self.rcpt_attempts: dict[str, int] = {}
        self.auth_logins: list[str] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
            replies = self.script.get(address)
            reply = replies.pop(0) if replies else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.tls_used = getattr(server, "_tls_protocol", None) is not None
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 OK queued"


class Sink:
    """aiosmtpd on 127.0.0.1, port 0, serving from a thread of its own."""

    def __init__(self, *, credentials: tuple[str, str] | None = None, tls_context=None) -> None:
        self.handler = SinkHandler()
        self.credentials = credentials
        self.tls_context = tls_context
        self.tls_sessions = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and self.credentials is not None and (
            auth_data.login.decode(), auth_data.password.decode()
        ) == self.credentials
        if ok:
            self.handler.auth_logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    async def _start(self) -> None:
        kwargs = {}
        if self.credentials is not None:
            kwargs = dict(authenticator=self._authenticate, auth_required=True, auth_require_tls=self.tls_context is not None)
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        self.server = await self.loop.create_server(
            lambda: SMTP(self.handler, hostname="sink.test", **kwargs), "127.0.0.1", 0
        )
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Poll (with a deadline) until `count` messages arrived: for mail sent in the background."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    def close(self) -> None:
        async def stop():
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


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
