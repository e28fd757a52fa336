"""An MTA-like sender for the reliability tests: retries what was not acknowledged, records every reply and latency."""

from __future__ import annotations

import smtplib
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from replyall.db.models import Message, RawMessage

LIST = "comms-network@archive.example.org"
NOWHERE = "nobody@archive.example.org"  # not an archive: 550 5.1.1 at RCPT


@dataclass(frozen=True)
class Item:
    mid: str  # without angle brackets, as stored
    data: bytes
    rcpt: str = LIST


def mail(mid: str, *, subject: str = "Storm update", parent: str | None = None, refs: Iterable[str] = (),
         sender: str = "Alice <alice@council.test>", body: str = "Hello all\r\n", rcpt: str = LIST) -> bytes:
    head = f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\nDate: Thu, 19 Nov 2026 10:00:00 +0000\r\n"
    head += f"Message-ID: <{mid}>\r\n"
    if parent:
        head += f"In-Reply-To: <{parent}>\r\n"
    refs = list(refs)
    if refs:
        head += "References: " + " ".join(f"<{r}>" for r in refs) + "\r\n"
    return (head + "\r\n" + body).encode()


@dataclass
class Ledger:
    """What the senders were told, per Message-ID: the truth the archive is checked against."""

    accepted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    attempts: int = 0
    retries: int = 0
    codes: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds per acknowledged transaction
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, code: int) -> None:
        self.codes[code] = self.codes.get(code, 0) + 1


class Endpoint:
    """Where the server currently listens; the crash controller moves it on every restart."""

    def __init__(self, port: int | None = None) -> None:
        self._port = port
        self._changed = threading.Condition()
        self.generation = 0

    def set(self, port: int | None) -> None:
        with self._changed:
            self._port = port
            self.generation += 1
            self._changed.notify_all()

    def wait(self, seen_generation: int, timeout: float) -> tuple[int | None, int]:
        """The port, waiting up to `timeout` for a newer one than `seen_generation` if it is down."""
        with self._changed:
            if self._port is None or self.generation == seen_generation:
                self._changed.wait_for(lambda: self._port is not None and self.generation != seen_generation, timeout)
            return self._port, self.generation


def send_all(items: list[Item], endpoint: Endpoint, ledger: Ledger, *, deadline: float,
             stop: Callable[[], bool] = lambda: False, sender: str = "alice@council.test") -> list[Item]:
    """Deliver items in order over one connection, as an MTA does: a 250 is final, a 5xx is a bounce,
    anything else (4xx, a dropped connection, a refused connect) means try the same message again.
    Returns the items still undelivered when `deadline` passed or `stop()` said so."""
    pending = list(items)
    client: smtplib.SMTP | None = None
    generation = -1
    port, generation = endpoint.wait(generation, 0)
    while pending and time.monotonic() < deadline and not stop():
        item = pending[0]
        try:
            if client is None:
                if port is None:
                    raise ConnectionRefusedError
                client = smtplib.SMTP("127.0.0.1", port, timeout=15)
                client.ehlo("mta.test")
            with ledger.lock:
                ledger.attempts += 1
            started = time.monotonic()
            client.sendmail(sender, [item.rcpt], item.data)
            took = time.monotonic() - started
            with ledger.lock:
                ledger.accepted.add(item.mid)
                ledger.latencies.append(took)
                ledger.note(250)
            pending.pop(0)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                smtplib.SMTPConnectError, smtplib.SMTPHeloError) as exc:
            code = _code(exc)
            with ledger.lock:
                ledger.note(code)
            if 500 <= code < 600:
                with ledger.lock:
                    ledger.refused.add(item.mid)
                pending.pop(0)
                _reset(client)
            else:
                with ledger.lock:
                    ledger.retries += 1
                client = _drop(client)
                port, generation = endpoint.wait(generation, 0.2)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError, socket.timeout):
            # Connection refused or cut (the server was killed): the message is still ours to deliver.
            # While the server is known to be down, wait for the restart instead of hammering the port.
            with ledger.lock:
                ledger.retries += 1
            client = _drop(client)
            port, generation = endpoint.wait(generation, 0.2 if port is not None else 5.0)
    _drop(client)
    return pending


def _code(exc: Exception) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return min(code for code, _ in exc.recipients.values())
    return int(getattr(exc, "smtp_code", 0) or 0)


def _reset(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.rset()
        except (smtplib.SMTPException, OSError):
            pass


def _drop(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.close()
        except OSError:
            pass
    return None


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 and max in milliseconds."""
    if len(values) < 2:
        return {"n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "n": len(values), "p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1), "max_ms": round(max(values) * 1000, 1),
    }


def archive_counts(db) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """Per Message-ID: raw rows, non-ghost Message rows, raw status."""
    with db.reader() as session:
        raws = dict(session.execute(select(RawMessage.message_id, func.count()).group_by(RawMessage.message_id)).all())
        msgs = dict(session.execute(
            select(Message.message_id, func.count()).where(Message.is_ghost.is_(False)).group_by(Message.message_id)
        ).all())
        status = dict(session.execute(select(RawMessage.message_id, RawMessage.status)).all())
    return raws, msgs, status


def wait_drained(db, deadline: float) -> None:
    """Poll until no raw message is pending (a real worker in another process is draining)."""
    while True:
        with db.reader() as session:
            pending = session.scalar(select(func.count()).where(RawMessage.status == "pending"))
        if pending == 0:
            return
        assert time.monotonic() < deadline, f"{pending} messages still pending at the deadline"
        time.sleep(0.1)
