"""Which archive an envelope recipient belongs to: the one place RCPT TO addresses are resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from replyall.config import Settings


@dataclass(frozen=True)
class Recipient:
    """An accepted RCPT TO: the archive it delivers to and the `+tag`, if any.

    `tag` is kept (not just stripped) so later stages can give tags meaning,
    e.g. `SLUG+subscribe@` as a command rather than mail to archive.
    """

    slug: str
    address: str  # the configured archive address it matched
    tag: str | None = None


def address_index(settings: Settings) -> dict[str, str]:
    """Lower-cased archive address -> archive slug (config.py already lower-cases them)."""
    return {address: archive.slug for archive in settings.archives for address in archive.address}


def resolve_recipient(address: str, index: Mapping[str, str], *, plus_addressing: bool) -> Recipient | None:
    """The archive for an envelope recipient, or None (the caller answers 550 5.1.1).

    Domains are case-insensitive (RFC 5321 2.4). Local parts strictly are not, but
    every mainstream MTA folds them and people type Comms-Network@ from memory, so we
    fold too. With plus-addressing, `local+tag@domain` delivers to `local@domain`.
    """
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return None
    local, domain = local.lower(), domain.lower().rstrip(".")
    slug = index.get(f"{local}@{domain}")
    if slug is not None:
        return Recipient(slug=slug, address=f"{local}@{domain}")
    if plus_addressing and "+" in local:
        base, _, tag = local.partition("+")
        slug = index.get(f"{base}@{domain}")
        if slug is not None and base:
            return Recipient(slug=slug, address=f"{base}@{domain}", tag=tag)
    return None
