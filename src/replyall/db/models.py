"""Typed SQLAlchemy models: raw messages (the truth and the work queue) and what is derived from them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import BYTEA, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL
# and make batch (copy-and-move) migrations on SQLite possible.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer, "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")
Blob = LargeBinary().with_variant(BYTEA(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Archive(Base):
    """One archive per [[archives]] entry of the config; synced at start-up."""

    __tablename__ = "archives"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="members")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: RawMessage.status of an erased message's tombstone (admin.moderation.erase).
ERASED = "erased"


class RawMessage(Base):
    """The original bytes exactly as received, plus the envelope; never changed.

    The table is also the work queue: status pending -> done | failed | discarded.
    An erased message leaves its row as a tombstone (status ERASED, nothing kept but
    message_id_hash), so that later copies of it are counted, never archived again.
    """

    __tablename__ = "raw_messages"
    __table_args__ = (
        # One raw copy per Message-ID per archive; later deliveries raise delivery_count.
        UniqueConstraint("archive_id", "message_id_hash", name="uq_raw_messages_archive_mid"),
        Index("ix_raw_messages_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(Text)
    message_id_hash: Mapped[str] = mapped_column(String(32))
    message_id_derived: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16))
    envelope_from: Mapped[str] = mapped_column(Text, default="")
    envelope_to: Mapped[list[str]] = mapped_column(Json, default=list)
    peer: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raw: Mapped[bytes] = mapped_column(Blob)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    delivery_count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Thread(Base):
    """A conversation. `key` is its public, stable id; merged-away keys live in thread_aliases."""

    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_archive_activity", "archive_id", "last_activity_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32), unique=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    subject_key: Mapped[str] = mapped_column(String(32), index=True, default="")
    conversation_key: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    participant_count: Mapped[int] = mapped_column(Integer, default=0)

    messages: Mapped[list[Message]] = relationship(back_populates="thread", foreign_keys="Message.thread_id")


class ThreadAlias(Base):
    """Keys of threads merged into another, so old links keep working."""

    __tablename__ = "thread_aliases"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)


class ThreadParticipant(Base):
    """Everyone in From/To/Cc of a thread's messages: the subject fallback needs overlap."""

    __tablename__ = "thread_participants"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True, index=True)


class Message(Base):
    """A message as the archive shows it, derived from its raw message (or a ghost placeholder)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("archive_id", "message_id_hash", name="uq_messages_archive_mid"),
        Index("ix_messages_thread_date", "thread_id", "date"),
        Index("ix_messages_archive_date", "archive_id", "date"),
        # Subject fallback of threading: same archive and subject within a date window.
        Index("ix_messages_archive_subject_date", "archive_id", "subject_key", "date"),
        # Search joins its candidates to messages through this covering index: on SQLite
        # hidden/redacted/kind sit after the body, and reading them from the table walks
        # a long message's overflow pages (130 us per row on a 100k archive).
        Index(
            "ix_messages_search", "id", "archive_id", "thread_id", "date", "kind", "hidden", "redacted",
            "is_ghost", "duplicate_of_id", "has_attachments",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"))
    raw_id: Mapped[int | None] = mapped_column(ForeignKey("raw_messages.id", ondelete="CASCADE"), unique=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    message_id: Mapped[str] = mapped_column(Text)
    message_id_hash: Mapped[str] = mapped_column(String(32))
    is_ghost: Mapped[bool] = mapped_column(Boolean, default=False)
    thread_reason: Mapped[str] = mapped_column(String(16), default="new")
    in_reply_to: Mapped[str | None] = mapped_column(Text)
    references: Mapped[list[str]] = mapped_column(Json, default=list)
    thread_index: Mapped[str | None] = mapped_column(Text)
    conversation_key: Mapped[str | None] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    subject_key: Mapped[str] = mapped_column(String(32), default="")
    from_name: Mapped[str] = mapped_column(Text, default="")
    from_address: Mapped[str] = mapped_column(String(320), default="", index=True)
    to: Mapped[list[list[str]]] = mapped_column(Json, default=list)
    cc: Mapped[list[list[str]]] = mapped_column(Json, default=list)
    date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    date_offset: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(Text, default="")
    quote: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    disclaimer: Mapped[str] = mapped_column(Text, default="")
    original: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="normal")
    defects: Mapped[list[str]] = mapped_column(Json, default=list)
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_count: Mapped[int] = mapped_column(Integer, default=1)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)

    thread: Mapped[Thread] = relationship(back_populates="messages", foreign_keys=[thread_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.position"
    )


class Attachment(Base):
    """A file carried by a message, extracted from its raw bytes."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str] = mapped_column(String(255), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    content_id: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(Blob)

    message: Mapped[Message] = relationship(back_populates="attachments")


class Subscriber(Base):
    """An address that asked for an archive's daily summary (double opt-in: pending until confirmed)."""

    __tablename__ = "subscribers"
    __table_args__ = (UniqueConstraint("archive_id", "address", name="uq_subscribers_archive_address"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    #: pending -> active -> unsubscribed | bouncing (a 5xx from the relay)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: Random; confirmation links carry it, so a new request makes older links useless.
    nonce: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="web")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class DigestClaim(Base):
    """One row per (archive, day, subscriber), inserted before sending: the exactly-once guard.

    status: claimed (sending now, or the sender died mid-send: never resent) ->
    sent | deferred (relay said 4xx every time; a later run may claim it again) | bounced.
    """

    __tablename__ = "digest_claims"
    __table_args__ = (
        UniqueConstraint("archive_id", "day", "subscriber_id", name="uq_digest_claims_archive_day_subscriber"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="claimed")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    message_id: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class ArchiveMember(Base):
    """An address seen in From/To/Cc of an archive's mail: who may read a members-only archive.

    Kept by the pipeline's store step (and rebuilt after erasure) so the access check is
    one indexed lookup instead of a scan of every message's To/Cc lists.
    """

    __tablename__ = "archive_members"

    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True, index=True)
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginToken(Base):
    """One emailed sign-in link: single use (used_at) and short-lived (expires_at)."""

    __tablename__ = "login_tokens"

    #: sha256 of the random nonce the link carries; the nonce itself is never stored.
    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser; the cookie carries the signed id, logout deletes the row."""

    __tablename__ = "web_sessions"

    #: sha256 of the session id in the cookie.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """What an administrator did, to what, and when: never the content itself."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(32))
    archive_id: Mapped[int | None] = mapped_column(ForeignKey("archives.id", ondelete="SET NULL"))
    #: e.g. "message:<hash>" or "thread:<key>" or "address:<addr>"
    target: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class SenderBan(Base):
    """An administrator banned a sender (an address, or "@domain" for everyone at it) from an archive.

    What a banned sender sends afterwards is still stored raw and archived, but arrives
    hidden (pipeline.screen): nothing is lost if the ban was a mistake, and the spam
    never reaches a page, feed, digest or search.
    """

    __tablename__ = "sender_bans"

    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"), primary_key=True)
    #: "name@example.org" or "@example.org", lower-cased (admin.bans.pattern_of)
    pattern: Mapped[str] = mapped_column(String(320), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ThreadRepair(Base):
    """An administrator's thread fix for one message, replayed by the thread step on reindex.

    anchor_hash is the Message-ID hash of a message whose thread this one joins; equal
    to message_id_hash it means "this message starts its own thread" (a split).
    The newest row for a message wins.
    """

    __tablename__ = "thread_repairs"
    __table_args__ = (Index("ix_thread_repairs_archive_message", "archive_id", "message_id_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"))
    message_id_hash: Mapped[str] = mapped_column(String(32))
    anchor_hash: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ErasureRequest(Base):
    """A member asked for all their messages to be deleted; an administrator decides."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: pending -> done | refused
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_count: Mapped[int] = mapped_column(Integer, default=0)


class BoilerplateSighting(Base):
    """One sender was seen sending one candidate block (a first or last paragraph) in a scope.

    scope is "*" (the whole archive) or "domain:<domain>". A block sent by several
    distinct senders of a scope is boilerplate (cleaning.boilerplate.BoilerplateLearner);
    the primary key makes recording idempotent and counting one index range.
    """

    __tablename__ = "boilerplate_sightings"

    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40), primary_key=True)
    sender: Mapped[str] = mapped_column(String(320), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class BoilerplateBlock(Base):
    """The text of a block behind a fingerprint, so an administrator can see what was learned."""

    __tablename__ = "boilerplate_blocks"

    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40), primary_key=True)
    sample: Mapped[str] = mapped_column(Text)
    line_count: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
