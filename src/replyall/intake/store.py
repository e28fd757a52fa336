"""store_raw(): keep the original bytes and the envelope, once per Message-ID per archive."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.db.models import Message, RawMessage
from replyall.mail.headers import derive_message_id, message_id_hash, normalize_message_id

# The header section ends at the first empty line (CRLF CRLF, or bare LF as some
# scripts send). Only the Message-ID is needed here, on the SMTP hot path: scanning
# the bytes is a fraction of a full header parse, which the worker does later.
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Stored:
    raw_id: int
    message_id: str
    duplicate: bool
    delivery_count: int


def message_id_of(data: bytes) -> tuple[str, bool]:
    """The normalised Message-ID, or a stable one derived from the content (derived=True).

    The header's bytes are read as UTF-8 (RFC 6532 allows it under SMTPUTF8), else
    as Latin-1, which maps every byte to its own character: two ids that differ only
    in 8-bit octets must never collapse into one.
    """
    end = _HEADER_END.search(data)
    found = _MESSAGE_ID.search(data, 0, end.start() if end else len(data))
    mid = None
    if found:
        value = found.group(1)
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = value.decode("latin-1")
        mid = normalize_message_id(text)
    if mid:
        return mid, False
    return derive_message_id(data), True


def store_raw(
    session: Session,
    archive_id: int,
    data: bytes,
    *,
    clock: Clock,
    source: str,
    envelope_from: str = "",
    envelope_to: list[str] | None = None,
    peer: str = "",
) -> Stored:
    """Insert the raw message, or count one more delivery of a Message-ID we hold.

    One statement (INSERT ... ON CONFLICT DO UPDATE) so that two SMTP instances
    receiving the same message at once can never store it twice.
    """
    mid, derived = message_id_of(data)
    values = dict(
        archive_id=archive_id,
        message_id=mid,
        message_id_hash=message_id_hash(mid),
        message_id_derived=derived,
        source=source,
        envelope_from=envelope_from,
        envelope_to=list(envelope_to or []),
        peer=peer,
        received_at=clock.now(),
        raw=data,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        delivery_count=1,
        status="pending",
        attempts=0,
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(RawMessage).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["archive_id", "message_id_hash"],
        set_={"delivery_count": RawMessage.delivery_count + 1},
    ).returning(RawMessage.id, RawMessage.delivery_count)
    raw_id, count = session.execute(stmt).one()
    if count > 1:
        # Increment rather than copy the raw count: the message may also count
        # near-duplicate copies that arrived with other Message-IDs (pipeline/dedupe.py).
        session.execute(
            update(Message).where(Message.raw_id == raw_id).values(delivery_count=Message.delivery_count + 1)
        )
    return Stored(raw_id=raw_id, message_id=mid, duplicate=count > 1, delivery_count=count)
