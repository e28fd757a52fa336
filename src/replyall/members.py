"""Who may read an archive: the addresses its mail was sent between, plus allowed, minus blocked.

A members-only archive is readable by every address seen in From, To or Cc of its
messages (the cc list *is* the member list), by the archive's `allow` addresses and
@domains, and by the administrators; never by its `block` entries, nor by the
archive addresses themselves (a sign-in link mailed to the list would be archived and
read by everyone on it). The seen addresses live in archive_members, kept by the
pipeline's store step, so a check is one indexed lookup.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from replyall.config import ArchiveSettings, Settings
from replyall.db.models import Archive, ArchiveMember, Message


def normalise(address: str | None) -> str:
    # Domains are case-insensitive (RFC 5321 2.4); every mainstream MTA treats local
    # parts the same way, and people type their address in any case.
    return (address or "").strip().lower()


def message_addresses(message: Message) -> set[str]:
    """Every address in From, To and Cc of one message, normalised."""
    found = {normalise(message.from_address)}
    for pair in list(message.to or []) + list(message.cc or []):
        if isinstance(pair, list | tuple) and len(pair) == 2:
            found.add(normalise(pair[1]))
    found.discard("")
    return found


def note_members(session: Session, archive_id: int, addresses: Iterable[str], when: datetime | None) -> None:
    """Record that these addresses took part in the archive at `when` (an upsert; never commits)."""
    rows = [
        {"archive_id": archive_id, "address": a, "first_seen": when, "last_seen": when}
        for a in sorted({normalise(a) for a in addresses} - {""})
    ]
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ArchiveMember).values(rows)
    table = ArchiveMember.__table__
    # Mail arrives out of order (imports, retries): widen the window, never narrow it.
    stmt = stmt.on_conflict_do_update(
        index_elements=["archive_id", "address"],
        set_={
            "first_seen": case(
                (table.c.first_seen.is_(None), stmt.excluded.first_seen),
                (stmt.excluded.first_seen < table.c.first_seen, stmt.excluded.first_seen),
                else_=table.c.first_seen,
            ),
            "last_seen": case(
                (table.c.last_seen.is_(None), stmt.excluded.last_seen),
                (stmt.excluded.last_seen > table.c.last_seen, stmt.excluded.last_seen),
                else_=table.c.last_seen,
            ),
        },
    )
    session.execute(stmt)


def rebuild_members(session: Session, archive_id: int) -> int:
    """Recompute an archive's members from its messages (after erasure); returns how many."""
    session.execute(delete(ArchiveMember).where(ArchiveMember.archive_id == archive_id))
    seen: dict[str, list[datetime | None]] = {}
    messages = session.scalars(
        select(Message).where(Message.archive_id == archive_id, Message.is_ghost.is_(False))
    )
    for message in messages:
        when = message.date or message.received_at
        for address in message_addresses(message):
            first, last = seen.setdefault(address, [when, when])
            if when is not None:
                seen[address] = [min(x for x in (first, when) if x), max(x for x in (last, when) if x)]
    for address, (first, last) in seen.items():
        session.add(ArchiveMember(archive_id=archive_id, address=address, first_seen=first, last_seen=last))
    session.flush()
    return len(seen)


def is_admin(settings: Settings, address: str | None) -> bool:
    return bool(address) and normalise(address) in settings.auth.admins


def own_addresses(settings: Settings) -> set[str]:
    """Addresses that deliver into an archive or send as us: never readers."""
    own = {normalise(settings.relay.from_address)}
    for conf in settings.archives:
        own.update(conf.address)
    return own


def _matches(address: str, entries: Iterable[str]) -> bool:
    domain = address.rpartition("@")[2]
    for entry in entries:
        if entry.startswith("@"):
            # "@nhs.net" covers x@nhs.net and x@trust.nhs.net alike.
            if domain == entry[1:] or domain.endswith("." + entry[1:]):
                return True
        elif entry == address:
            return True
    return False


def _config(settings: Settings, slug: str) -> ArchiveSettings | None:
    return settings.archive(slug)


def may_read(session: Session, settings: Settings, archive: Archive, address: str | None) -> bool:
    """The one rule: may this (signed-in, or anonymous when None) address read this archive?"""
    if archive.visibility == "public":
        return True
    address = normalise(address)
    if not address or "@" not in address or address in own_addresses(settings):
        return False
    if is_admin(settings, address):
        return True
    conf = _config(settings, archive.slug)
    if conf is not None and _matches(address, conf.block):
        return False
    if conf is not None and _matches(address, conf.allow):
        return True
    return session.scalar(
        select(func.count()).select_from(ArchiveMember).where(
            ArchiveMember.archive_id == archive.id, ArchiveMember.address == address
        )
    ) > 0


def readable_archive_ids(session: Session, settings: Settings, address: str | None = None) -> set[int]:
    """Ids of every archive this address may read (public ones for anonymous readers)."""
    archives = session.scalars(select(Archive)).all()
    address = normalise(address)
    if not address:
        return {a.id for a in archives if a.visibility == "public"}
    member_of = set(
        session.scalars(select(ArchiveMember.archive_id).where(ArchiveMember.address == address))
    )
    readable: set[int] = set()
    for archive in archives:
        if archive.visibility == "public":
            readable.add(archive.id)
        elif archive.id in member_of or _config(settings, archive.slug) is not None or is_admin(settings, address):
            # Membership alone is not enough (block lists win); the full rule decides.
            if may_read(session, settings, archive, address):
                readable.add(archive.id)
    return readable


def may_read_any_members_archive(session: Session, settings: Settings, address: str | None) -> bool:
    """Whether signing in would show this address anything beyond the public archives."""
    archives = session.scalars(select(Archive).where(Archive.visibility != "public")).all()
    return any(may_read(session, settings, a, address) for a in archives)


def may_sign_in(session: Session, settings: Settings, address: str | None) -> bool:
    """Administrators, readers of a members-only archive, and anyone whose mail is archived
    (they may download or ask to erase their messages, public archives included)."""
    address = normalise(address)
    if not address or address in own_addresses(settings):
        return False
    if is_admin(settings, address) or may_read_any_members_archive(session, settings, address):
        return True
    public = select(Archive.id).where(Archive.visibility == "public")
    return session.scalar(
        select(func.count()).select_from(ArchiveMember).where(
            ArchiveMember.address == address, ArchiveMember.archive_id.in_(public)
        )
    ) > 0
