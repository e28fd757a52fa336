"""Sender bans: an archive's administrators stop a spammer's next mail from showing.

Hiding is per message, so a spammer hidden today is back tomorrow. A ban covers what a
sender sends from then on: the pipeline's screen step still stores and archives it
(raw is the truth, and a mistaken ban loses nothing) but it arrives hidden, audited as
"hide-banned". We do not refuse such mail at SMTP: a ban belongs to one archive while
one reply to DATA answers for every archive on the envelope, the From address is
only read once the whole message is in, and a refused message would be lost to the
archive for good.

A ban names an address or a whole domain ("@example.org", which covers its
subdomains too: spam runs rotate them).
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from replyall.admin import audit
from replyall.clock import Clock
from replyall.db.models import Archive, SenderBan
from replyall.members import normalise

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_LOCAL = re.compile(r"^[^\s@<>()\[\],;:\"]{1,64}$")


class BanError(ValueError):
    """What an administrator typed is not an address or @domain; the text says what to type."""


def pattern_of(text: str) -> str:
    """A ban pattern from what an administrator typed or pasted: an address or @domain.

    Accepts "Name <addr>" as pasted from a mail client, and "*@domain" for a domain.
    """
    value = text.strip()
    if "<" in value:
        value = parseaddr(value)[1]
    value = normalise(value)
    if value.startswith("*@"):
        value = value[1:]
    local, at, domain = value.rpartition("@")
    domain = domain.rstrip(".")
    if at and _DOMAIN.match(domain) and (not local or _LOCAL.match(local)):
        return f"{local}@{domain}"
    raise BanError(
        f"“{text.strip()[:100]}” is not an address or a domain. Give an address (name@example.org), "
        "or @example.org for everyone at that domain."
    )


def _candidates(address: str) -> list[str]:
    """The patterns that would cover `address`: itself, its domain and every parent domain."""
    address = normalise(address)
    _, at, domain = address.rpartition("@")
    if not at or not domain:
        return []
    labels = domain.split(".")
    return [address] + ["@" + ".".join(labels[i:]) for i in range(len(labels) - 1)]


def ban_for(session: Session, archive_id: int, address: str) -> SenderBan | None:
    """The ban that covers a sender in an archive, if any: one primary-key range lookup."""
    candidates = _candidates(address)
    if not candidates:
        return None
    found = session.scalars(
        select(SenderBan).where(SenderBan.archive_id == archive_id, SenderBan.pattern.in_(candidates))
    ).all()
    # The longest pattern is the most precise: an address ban before its domain's.
    return max(found, key=lambda b: len(b.pattern), default=None)


def ban(session: Session, clock: Clock, actor: str, archive_id: int, pattern: str) -> bool:
    """Ban `pattern` (see pattern_of) from an archive; False when it already was."""
    pattern = pattern_of(pattern)
    if session.get(SenderBan, (archive_id, pattern)) is not None:
        return False
    session.add(SenderBan(archive_id=archive_id, pattern=pattern, created_by=actor, created_at=clock.now()))
    session.flush()
    audit.record(session, clock, actor, "ban", f"address:{pattern}", archive_id=archive_id)
    return True


def unban(session: Session, clock: Clock, actor: str, archive_id: int, pattern: str) -> bool:
    """Lift a ban; what the sender sent meanwhile stays hidden until shown again. False when there was none."""
    found = session.get(SenderBan, (archive_id, pattern_of(pattern)))
    if found is None:
        return False
    session.delete(found)
    session.flush()
    audit.record(session, clock, actor, "unban", f"address:{found.pattern}", archive_id=archive_id)
    return True


def all_bans(session: Session) -> list[tuple[SenderBan, str]]:
    """Every ban with its archive's slug, by archive then pattern."""
    return [
        (found, slug) for found, slug in session.execute(
            select(SenderBan, Archive.slug).join(Archive, Archive.id == SenderBan.archive_id)
            .order_by(Archive.slug, SenderBan.pattern)
        ).all()
    ]
