"""store_raw(): keep the original bytes and the envelope, once per Message-ID per archive."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.db.models import Message, RawMessage
from replyall.mail.headers import derive_message_id, message_id_hash, normalize_message_id

# compat32 never raises on odd header syntax, and we only need one header here: the
# full parse (policy.default) happens later, in the worker, off the SMTP hot path.
_HEADERS = BytesHeaderParser(policy=policy.compat32)


@dataclass(frozen=True)
class Stored:
    raw_id: int
    message_id: str
    duplicate: bool
    delivery_count: int


def message_id_of(data: bytes) -> tuple[str, bool]:
    """The normalised Message-ID, or a stable one derived from the content (derived=True)."""
    try:
        value = _HEADERS.parsebytes(data).get("Message-ID")
    except Exception:  # noqa: BLE001 - a header we cannot read is a missing header
        value = None
    mid = normalize_message_id(str(value) if value is not None else None)
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
        session.execute(update(Message).where(Message.raw_id == raw_id).values(delivery_count=count))
    return Stored(raw_id=raw_id, message_id=mid, duplicate=count > 1, delivery_count=count)
