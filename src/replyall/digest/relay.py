"""Deliver mail we write (summaries, confirmations) through the configured SMTP relay, with retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from email import policy
from email.message import EmailMessage

import aiosmtplib

from replyall.config import Settings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]

# Python's header folding turns any token longer than the line limit into an RFC 2047
# encoded-word; a List-Unsubscribe URL with a signed token would then be unreadable
# to mail clients. RFC 5322 2.1.1 allows 998 characters a line: fold only beyond that.
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)

#: Tries per message; waits between them grow 5 s, 20 s, 80 s (times `backoff`).
ATTEMPTS = 4
BACKOFF = 5.0


class DeliveryError(Exception):
    """Delivery of one message failed; `code` is the SMTP reply code (None: no reply)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Rejected(DeliveryError):
    """The relay refused the recipient or the message with a 5xx: retrying will not help."""


class Deferred(DeliveryError):
    """Temporary failure (4xx, relay unreachable) on every attempt; a later run may try again."""


class RelayDown(Deferred):
    """The relay itself refused us (authentication, MAIL FROM): no point trying other recipients."""


def _reply(exc: Exception) -> tuple[int | None, str]:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return first.code, first.message
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code, exc.message
    return None, f"{type(exc).__name__}: {exc}"


class Relay:
    """One connection to the relay, reused for a run of messages and reopened after errors.

    `sleep` is injected so tests exercise the back-off without waiting.
    """

    def __init__(self, settings: Settings, *, sleep: Sleep = asyncio.sleep, attempts: int = ATTEMPTS, backoff: float = BACKOFF) -> None:
        self.settings = settings
        self.sleep, self.attempts, self.backoff = sleep, attempts, backoff
        self._smtp: aiosmtplib.SMTP | None = None

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        relay = self.settings.relay
        smtp = aiosmtplib.SMTP(
            hostname=relay.host,
            port=relay.port,
            username=relay.username or None,
            password=relay.password or None,
            start_tls=relay.starttls,
            timeout=relay.timeout,
            # Our own name in EHLO; socket.getfqdn() can block on DNS for seconds.
            local_hostname=self.settings.smtp.hostname,
        )
        await smtp.connect()
        self._smtp = smtp
        return smtp

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()

    async def __aenter__(self) -> "Relay":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def send(self, message: EmailMessage, recipient: str, *, sender: str | None = None) -> str:
        """Deliver to one recipient; returns the relay's reply. Raises Rejected or Deferred."""
        sender = sender or self.settings.relay.from_address
        last: tuple[int | None, str] = (None, "")
        for attempt in range(1, self.attempts + 1):
            try:
                smtp = await self._connection()
                _errors, reply = await smtp.sendmail(sender, [recipient], message.as_bytes(policy=SMTP_POLICY))
                return reply
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                code, text = last = _reply(exc)
                # Anything may be left half-done on the connection; start clean.
                await self._drop()
                recipient_level = isinstance(exc, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError)
                if code is not None and 500 <= code < 600:
                    if recipient_level:
                        raise Rejected(f"{code} {text}", code) from None
                    # 5xx to AUTH or MAIL FROM is our configuration, not the subscriber.
                    raise RelayDown(f"relay refused us: {code} {text}", code) from None
                log.warning(
                    "relay deferred",
                    extra={"recipient": recipient, "attempt": attempt, "code": code or "", "reason": text[:200]},
                )
                if attempt < self.attempts:
                    await self.sleep(self.backoff * 4 ** (attempt - 1))
        code, text = last
        message_text = f"gave up after {self.attempts} attempts: {code or ''} {text}".strip()
        # No SMTP reply at all means we never reached the relay: every recipient would fail.
        raise (Deferred if code is not None else RelayDown)(message_text, code)

    async def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.close()
            except Exception:  # noqa: BLE001 - the connection is being thrown away anyway
                pass


async def send_one(settings: Settings, message: EmailMessage, address: str, *, what: str) -> None:
    """Send one transactional message (a sign-in link, a confirmation) in the background.

    Two attempts, then give up: the person who asked for it can ask again, and the page
    they saw does not depend on delivery. Failures are logged for the operator, with the
    relay's reply code, as "`what` not delivered".
    """
    try:
        async with Relay(settings, attempts=2, backoff=1.0) as relay:
            await relay.send(message, address)
    except DeliveryError as exc:
        log.warning(f"{what} not delivered", extra={"code": exc.code or "", "reason": str(exc)[:200]})
