"""store_raw(): keep the original bytes and the envelope, once per Message-ID per archive."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Connection, Insert, bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.db.models import Message, RawMessage
from replyall.mail.headers import derive_message_id, message_id_hash, normalize_message_id

# Only the Message-ID is needed here, on the SMTP hot path: scanning the bytes is a
# fraction of a full header parse, which the worker does later.
_MESSAGE_ID = re.compile(rb"message-id[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.IGNORECASE)


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
    # The header section ends at the first empty line (CRLF CRLF, or bare LF as some
    # scripts send). bytes.find is a memchr scan; a regex for it cost more than the insert.
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\n\r\n")) if i >= 0]
    end = min(ends) if ends else len(data)
    lowered = b"\n" + data[:end].lower()
    found, at = None, lowered.find(b"\nmessage-id")
    while found is None and at >= 0:  # lowered[at] is the LF before data[at], a line start
        found = _MESSAGE_ID.match(data, at, end)
        at = lowered.find(b"\nmessage-id", at + 1)
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
    db: Session | Connection,
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
    receiving the same message at once can never store it twice. Takes an ORM
    session (import, tests) or a Core connection (the SMTP group commit, where the
    session machinery would cost more than the insert).
    """
    conn = db.connection() if isinstance(db, Session) else db
    mid, derived = message_id_of(data)
    params = dict(
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
    )
    raw_id, count = conn.execute(_upsert(conn.dialect.name), params).one()
    if count > 1:
        # Increment rather than copy the raw count: the message may also count
        # near-duplicate copies that arrived with other Message-IDs (pipeline/dedupe.py).
        conn.execute(
            update(Message).where(Message.raw_id == raw_id).values(delivery_count=Message.delivery_count + 1)
        )
    return Stored(raw_id=raw_id, message_id=mid, duplicate=count > 1, delivery_count=count)


@cache
def _upsert(dialect: str) -> Insert:
    """The one INSERT ... ON CONFLICT statement, built once per dialect.

    A Core statement with bound parameters hits SQLAlchemy's compiled cache on every
    call; building it per message through the ORM's bulk path cost most of the
    writer's time on the SMTP hot path (see docs/benchmarks.md, Intake).
    """
    table = RawMessage.__table__
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    names = (
        "archive_id", "message_id", "message_id_hash", "message_id_derived", "source", "envelope_from",
        "envelope_to", "peer", "received_at", "raw", "size", "sha256",
    )
    stmt = insert(table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in names}
        | {"delivery_count": 1, "status": "pending", "attempts": 0}
    )
    return stmt.on_conflict_do_update(
        index_elements=["archive_id", "message_id_hash"],
        set_={"delivery_count": table.c.delivery_count + 1},
    ).returning(table.c.id, table.c.delivery_count)
