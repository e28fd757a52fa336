"""A real SMTP server standing in for the relay: aiosmtpd on 127.0.0.1, port 0, in a thread of its own.

The digest, sign-in and subscription tests send through it. It records every message,
can refuse recipients on a script (temporary and permanent failures), and can require
AUTH and STARTTLS like a real submission relay.
"""

from __future__ import annotations

import asyncio
import email
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


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

    def mail_to(self, address: str) -> list[EmailMessage]:
        """The messages that went to `address`, parsed."""
        return [r.message for r in self.to(address)]

    def wait_for_mail(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """Poll (with a deadline) until `count` messages went to `address`; those messages, parsed."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.mail_to(address)
