"""Build mail and push it through the real intake and pipeline, for the web tests."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select

from replyall.db.models import Archive, Message, Thread
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain

LIST = "comms-network@archive.example.org"
PRIVATE = "private@archive.example.org"


def make_mail(
    mid: str, *, subject: str = "Winter campaign", sender: str | tuple[str, str] = ("Jane Doe", "jane@council.gov.uk"),
    date: datetime, body: str = "Hello all,\n\nAny ideas?\n", parent: str | None = None,
    references: list[str] | None = None, to: str = LIST, cc: str | None = None, headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """An RFC 5322 message; `sender` is a From value or a (name, address) pair."""
    msg = EmailMessage()
    if isinstance(sender, str):
        msg["From"] = sender
    else:
        msg["From"] = f'"{sender[0]}" <{sender[1]}>' if sender[0] else sender[1]
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{mid}>"
    msg["Date"] = format_datetime(date)
    if parent:
        msg["In-Reply-To"] = f"<{parent}>"
        msg["References"] = " ".join(f"<{r}>" for r in (references or [parent]))
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def ingest(db, settings, clock, *raws: bytes, slug: str = "comms-network") -> None:
    with db.transaction() as session:
        archive_id = session.scalar(select(Archive.id).where(Archive.slug == slug))
        for raw in raws:
            store_raw(session, archive_id, raw, clock=clock, source="smtp")
    counts = drain(db, settings, clock)
    assert counts.get("done", 0) == len(raws), counts


def thread_key_of(db, mid: str) -> str:
    with db.reader() as session:
        return session.scalar(select(Thread.key).join(Message, Message.thread_id == Thread.id).where(Message.message_id == mid))


def hash_of(db, mid: str) -> str:
    with db.reader() as session:
        return session.scalar(select(Message.message_id_hash).where(Message.message_id == mid))


def conversation(start: datetime, n: int, *, prefix: str = "c", subject: str = "Budget question") -> list[bytes]:
    """A first message and n-1 replies, each answering the previous one or the first."""
    out = [make_mail(f"{prefix}0@council.gov.uk", subject=subject, date=start)]
    for i in range(1, n):
        parent = f"{prefix}{(i - 1) if i % 3 else 0}@council.gov.uk"
        out.append(make_mail(
            f"{prefix}{i}@council.gov.uk", subject=f"Re: {subject}", date=start + timedelta(minutes=i),
            sender=(f"Person {i % 7}", f"person{i % 7}@trust{i % 3}.nhs.uk"), parent=parent,
            body=f"Reply number {i}.\n\nOn an earlier day someone wrote:\n> quoted line {i}\n",
        ))
    return out


def png(width: int, height: int) -> bytes:
    """A real grey PNG picture, decodable by a browser (PNG spec: signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))  # filter byte, then grey pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def outlook_mail(mid: str, *, date: datetime, body: str, logos: int = 2, pasted: int = 0,
                 attachments: list[tuple[str, str, bytes]] = (), **kw) -> bytes:
    """A message as Outlook sends it: text and HTML, with pictures the HTML lays out by
    Content-ID (multipart/related): `pasted` screenshots in the text (screenshotN.png), then
    a signature with its logo and icons (image00N.png); then any attached files."""
    from email import message_from_bytes, policy

    msg = message_from_bytes(make_mail(mid, date=date, body=body, **kw), policy=policy.default)
    shots = [(f"screenshot{n}.png", f"shot{n}@01DC5A2B.3C4D5E60") for n in range(1, pasted + 1)]
    logo = [(f"image{n:03d}.png", f"image{n:03d}.png@01DC5A2B.3C4D5E60") for n in range(1, logos + 1)]
    sender = kw.get("sender", ("Jane Doe", ""))
    sender = sender[0] if isinstance(sender, tuple) else "Jane Doe"
    msg.add_alternative(
        f"<html><body><p>{body}</p>" + "".join(f'<p><img width=640 height=360 src="cid:{cid}"></p>' for _, cid in shots)
        + f"<p>Kind regards<br>{sender}<br>Communications Officer<br>Tel: 01632 960 456<br>"
        + "".join(f'<img src="cid:{cid}" alt="">' for _, cid in logo) + "</p></body></html>", subtype="html")
    html = msg.get_payload()[-1]
    for n, (filename, cid) in enumerate(shots + logo, 1):
        html.add_related(png(64 * n, 36), maintype="image", subtype="png", cid=f"<{cid}>", filename=filename)
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
