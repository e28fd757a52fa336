"""The SMTP listener: aiosmtpd's protocol in our event loop, answering 250 only for mail on disk."""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError

from aiosmtpd.smtp import SMTP, Envelope, Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.archives import sync_archives
from replyall.db.engine import Database
from replyall.digest.commands import command_of, command_recipient, run_commands
from replyall.intake.commit import GroupCommitter
from replyall.intake.recipients import Recipient, address_index, resolve_recipient
from replyall.intake.store import Stored, message_id_of, store_raw
from replyall.intake.template import ConnectionTemplate

log = logging.getLogger(__name__)

# Replies. Enhanced status codes per RFC 3463 (advertised with ENHANCEDSTATUSCODES, RFC 2034).
TEMPFAIL = "451 4.3.0 Temporary local problem, please try again later"
TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
NO_SUCH_USER = "550 5.1.1 Recipient address rejected: no archive at this address"
TOO_MANY_RCPTS = "452 4.5.3 Too many recipients"
BUSY = "421 4.7.0 Too many connections, please try again later"
RATE = "421 4.7.0 Too many connections from your address, please try again later"
SHUTDOWN = "421 4.3.2 Service shutting down, please try again later"

_GONE = object()
_CHUNK = 1 << 20  # more than the reader ever buffers (2 x line_length_limit), so a read empties it  # the connection ended during DATA

#: How long close() lets sessions that are receiving or storing a message finish.
CLOSE_GRACE = 10.0


@dataclass
class Gate:
    """Concurrent-connection and per-address rate limits, checked before the greeting."""

    max_connections: int
    per_minute: int
    now: Callable[[], float]
    active: int = 0
    _recent: dict[str, collections.deque[float]] = field(default_factory=dict)

    def admit(self, ip: str) -> str | None:
        """None to let the connection in, or the 421 reply to send before closing it."""
        if self.active >= self.max_connections:
            return BUSY
        now = self.now()
        if len(self._recent) > 10_000:  # forget addresses quiet for a minute
            self._recent = {k: v for k, v in self._recent.items() if v and now - v[-1] < 60}
        seen = self._recent.setdefault(ip, collections.deque())
        while seen and now - seen[0] >= 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return RATE
        seen.append(now)
        self.active += 1
        return None


class IntakeHandler:
    """aiosmtpd hooks: recipients checked at RCPT, raw bytes committed at DATA, then 250."""

    def __init__(
        self, settings: Settings, archive_ids: dict[str, int], committer: GroupCommitter, clock: Clock,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self.settings, self.archive_ids, self.committer, self.clock = settings, archive_ids, committer, clock
        self.on_stored = on_stored
        self._index = address_index(settings)

    def resolve(self, address: str) -> Recipient | None:
        recipient = resolve_recipient(address, self._index, plus_addressing=self.settings.smtp.plus_addressing)
        if recipient is None:
            recipient = command_recipient(self.settings, address)  # SLUG+subscribe@DOMAIN (digest)
        return recipient if recipient is not None and recipient.slug in self.archive_ids else None

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses):
        session.host_name = hostname
        # We take mail, we never authenticate anyone: drop aiosmtpd's AUTH line.
        lines = [line for line in responses[:-1] if not line[4:].upper().startswith("AUTH")]
        # aiosmtpd reads pipelined commands in order but does not say so (RFC 2920).
        return lines + ["250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250 HELP"]

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        if self.resolve(address) is None:
            # Never relay: anything that is not one of our archives is refused here.
            log.info("recipient refused", extra={"peer": _ip(session), "rcpt": address})
            return NO_SUCH_USER
        if len(envelope.rcpt_tos) >= self.settings.smtp.max_recipients:
            return TOO_MANY_RCPTS
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data: bytes = envelope.original_content or b""
        by_archive: dict[str, list[str]] = {}
        commands: list[Recipient] = []
        for address in envelope.rcpt_tos:
            recipient = self.resolve(address)
            if recipient is not None and command_of(recipient.tag):
                commands.append(recipient)  # +subscribe / +unsubscribe: a request, never archived
            elif recipient is not None:  # checked at RCPT; the config cannot change in between
                by_archive.setdefault(recipient.slug, []).append(address)
        sender, peer = envelope.mail_from or "", _ip(session)
        if commands:
            try:
                await run_commands(self.committer.db, self.settings, self.clock, commands, data, sender)
            except Exception:  # noqa: BLE001 - database trouble: nothing stored yet, the client retries
                log.exception("mail command failed, answered 451", extra={"peer": peer})
                return TEMPFAIL
            if not by_archive:
                return "250 2.0.0 OK request received"

        def store(conn) -> list[tuple[str, Stored]]:
            # Several archives on one envelope: one copy each, all in one transaction.
            return [
                (slug, store_raw(
                    conn, self.archive_ids[slug], data, clock=self.clock, source="smtp",
                    envelope_from=sender, envelope_to=rcpts, peer=peer,
                ))
                for slug, rcpts in by_archive.items()
            ]

        try:
            results = await self.committer.submit(store)
        except Exception:  # noqa: BLE001 - storage trouble: the client keeps the message and retries
            log.exception(
                "store failed, answered 451",
                extra={"message_id": message_id_of(data)[0], "peer": peer, "size": len(data)},
            )
            return TEMPFAIL
        for slug, stored in results:
            log.info(
                "stored",
                extra={
                    "message_id": stored.message_id, "archive": slug, "raw_id": stored.raw_id, "peer": peer,
                    "size": len(data), "duplicate": stored.duplicate, "deliveries": stored.delivery_count,
                },
            )
        if self.on_stored is not None:
            self.on_stored()
        return "250 2.0.0 OK stored as " + " ".join(str(stored.raw_id) for _, stored in results)


def _ip(session: Session) -> str:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer or "")


class IntakeSMTP(SMTP):
    """aiosmtpd's protocol with our own DATA reader, connection gate and error replies."""

    # The StreamReader buffer size, not a line limit: our DATA reader accepts lines of
    # any length in pieces. Real archives carry lines over RFC 5322's 998 octets
    # (Outlook HTML, base64 without folding); aiosmtpd's 1001 would refuse them with 500.
    line_length_limit = 64 * 1024
    command_size_limit = 4096  # RFC 5321 4.5.3.1.4 asks for at least 512 octets

    def __init__(self, handler: IntakeHandler, *, gate: Gate, sessions: set["IntakeSMTP"], **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self._own_state(gate, sessions)

    def _own_state(self, gate: Gate, sessions: set["IntakeSMTP"]) -> None:
        # aiosmtpd keeps these limits in one dict shared by every connection (and clears
        # it whenever a connection opens); give each session its own, and room for long
        # addresses with SIZE, BODY and SMTPUTF8 parameters.
        self.command_size_limits = collections.defaultdict(lambda: IntakeSMTP.command_size_limit)
        self._gate, self._sessions = gate, sessions
        self._admitted = False
        self.busy = False  # receiving or storing a message: close() lets it finish

    @classmethod
    def factory(
        cls, handler: IntakeHandler, *, gate: Gate, sessions: set["IntakeSMTP"], loop: asyncio.AbstractEventLoop,
        **kwargs,
    ) -> ConnectionTemplate["IntakeSMTP"]:
        """The protocol factory for create_server(): aiosmtpd's set-up once, then a copy per connection."""
        return ConnectionTemplate(
            cls, loop, lambda conn: conn._own_state(gate, sessions), handler, gate=gate, sessions=sessions, **kwargs
        )

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd's, less the typing.Protocol class it defines on every call (a class
        # creation for each MAIL and RCPT: 5% of the loop's time under load).
        if not arg:
            return "", ""
        try:
            address, rest = get_angle_addr(arg) if arg.lstrip().startswith("<") else get_addr_spec(arg)
        except HeaderParseError:
            return None, None
        addr = address.addr_spec
        if self.local_part_limit and len(addr.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return addr, rest

    async def _handle_client(self) -> None:
        refusal = self._gate.admit(_ip(self.session))
        if refusal is not None:
            log.info("connection refused", extra={"peer": _ip(self.session), "reason": refusal[10:]})
            await self.push(refusal)
            self.transport.close()
            return
        self._admitted = True
        self._sessions.add(self)
        await super()._handle_client()

    def connection_lost(self, error: Exception | None) -> None:
        if self._admitted:
            self._admitted = False
            self._gate.active -= 1
            self._sessions.discard(self)
        super().connection_lost(error)

    async def push(self, status) -> None:
        # aiosmtpd answers a too-large MAIL FROM SIZE= with its own text and no enhanced code.
        if isinstance(status, str) and status.startswith("552 Error"):
            status = TOO_BIG
        await super().push(status)

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default sends the exception text to the client; never let internals out.
        log.exception("smtp session error", extra={"peer": _ip(self.session)})
        return TEMPFAIL

    async def smtp_DATA(self, arg: str) -> None:
        """Receive the message (RFC 5321 4.1.1.4): bytes kept as sent, size checked as they arrive."""
        if await self.check_helo_needed():
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        self.busy = True
        try:
            content = await self._receive()
            if content is _GONE:
                return
            if content is None:
                await self.push(TOO_BIG)
                self._set_post_data_state()
                return
            self.envelope.content = self.envelope.original_content = content
            status = await self._call_handler_hook("DATA")
            self._set_post_data_state()
            await self.push(status)
        finally:
            self.busy = False

    async def _receive(self) -> bytes | object | None:
        """The message bytes; None when it passed data_size_limit (nothing is buffered); _GONE when closed.

        Reads in large chunks and looks for the end with one C-level search per chunk
        instead of a Python step per line: on a busy host the per-line loop was a
        sizeable share of the CPU an SMTP session costs.
        """
        limit = self.data_size_limit or 0
        # Past the limit we keep reading (clients only read our reply after the final
        # dot, RFC 5321 4.2.5) but keep nothing; a client that keeps sending far past
        # it gets the 552 straight away and is disconnected.
        hard_stop = 2 * limit + (1 << 20)
        # The CRLF that ended the DATA command starts the buffer, so that a message's
        # first line is found by the same searches as every other line.
        buf = bytearray(b"\r\n")
        total, over = 0, False
        while True:
            chunk = await self._reader.read(_CHUNK)
            if not chunk:  # the client hung up mid-message: nothing was promised, nothing kept
                log.info("connection lost during DATA", extra={"peer": _ip(self.session)})
                return _GONE
            self._reset_timeout()  # a slow but steady upload is not idle
            total += len(chunk)
            searched_from = max(0, len(buf) - 4)
            buf += chunk
            # Only CRLF "." CRLF ends the data: a dot after a bare LF does not (the
            # SMTP smuggling attacks of 2023 abuse exactly that difference).
            end = buf.find(b"\r\n.\r\n", searched_from)
            if end >= 0:
                leftover = bytes(buf[end + 5 :])
                if leftover and not self._reader.at_eof():
                    # Pipelined commands sent with the final dot (RFC 2920): our read
                    # emptied the reader's buffer, so this puts them back in front.
                    self._reader.feed_data(leftover)
                del buf[end + 2 :]
                break
            if limit and len(buf) - 4 > limit:
                over = True
                del buf[:-4]  # keep nothing but what the end marker may span
                if total > hard_stop:
                    await self.push(TOO_BIG)
                    self.transport.close()
                    return _GONE
        if over or (limit and len(buf) - 2 > limit):
            return None
        # Undo dot-stuffing (RFC 5321 4.5.2) at every line start; clients stuff after a
        # bare LF too, so a line start is any LF.
        return bytes(buf).replace(b"\n.", b"\n")[2:]


class IntakeServer:
    """What start_server() returns: the bound port and a graceful close()."""

    def __init__(self, server: asyncio.Server, sessions: set[IntakeSMTP], committer: GroupCommitter) -> None:
        self._server, self._sessions, self._committer = server, sessions, committer
        self.port: int = server.sockets[0].getsockname()[1]

    async def close(self, grace: float = CLOSE_GRACE) -> None:
        """Stop accepting; let messages being received or stored finish; then say 421 to the rest."""
        self._server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while any(s.busy for s in self._sessions) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for session in list(self._sessions):
            if session.transport is not None:
                try:
                    session._writer.write(SHUTDOWN.encode() + b"\r\n")
                except Exception:  # noqa: BLE001 - the client may be gone already
                    pass
                session.transport.close()
        await self._committer.idle()
        await self._server.wait_closed()


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.smtp.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.smtp.tls_cert, settings.smtp.tls_key)
    return context


async def start_server(
    settings: Settings, db: Database, clock: Clock, on_stored: Callable[[], None] | None = None
) -> IntakeServer:
    """Listen on settings.smtp.host:port in the running event loop (port 0 picks a free one)."""
    loop = asyncio.get_running_loop()
    archive_ids = await db.write(lambda s: sync_archives(s, settings, clock))
    committer = GroupCommitter(db)
    handler = IntakeHandler(settings, archive_ids, committer, clock, on_stored)
    gate = Gate(settings.smtp.max_connections, settings.smtp.connections_per_minute, loop.time)
    sessions: set[IntakeSMTP] = set()
    context = tls_context(settings)
    conf = settings.smtp

    protocol = IntakeSMTP.factory(
        handler, gate=gate, sessions=sessions, loop=loop, data_size_limit=conf.max_message_size,
        enable_SMTPUTF8=True, decode_data=False, hostname=conf.hostname, ident="ESMTP replyall",
        tls_context=context, timeout=conf.idle_timeout,
    )
    server = await loop.create_server(protocol, host=conf.host, port=conf.port)
    return IntakeServer(server, sessions, committer)
