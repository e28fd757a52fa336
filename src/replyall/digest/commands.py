"""Mail commands: SLUG+subscribe@DOMAIN and SLUG+unsubscribe@DOMAIN change a subscription and are never archived."""

from __future__ import annotations

import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser

from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.engine import Database
from replyall.digest import DIGEST_HEADER, subscriptions
from replyall.digest.relay import DeliveryError, Relay
from replyall.mail.addresses import parse_address

log = logging.getLogger(__name__)

COMMANDS = ("subscribe", "unsubscribe")

_HEADERS = BytesHeaderParser(policy=policy.compat32)


def command_of(tag: str | None) -> str | None:
    """"subscribe" / "unsubscribe" for a recipient's +tag, else None (an ordinary tag: archive it).

    Mailman's -join/-leave and -subscribe/-unsubscribe spellings are accepted too.
    """
    tag = (tag or "").strip().lower()
    if tag in ("subscribe", "join"):
        return "subscribe"
    if tag in ("unsubscribe", "leave"):
        return "unsubscribe"
    return None


def resolve_command(settings: Settings, address: str) -> tuple[str, str] | None:
    """(archive slug, command) for SLUG+COMMAND@DOMAIN, where DOMAIN is one of the archive's domains.

    The archive's own local part works as well (LOCAL+subscribe@DOMAIN); the SMTP
    listener gives that form to `command_of` through its plus-addressing tag.
    """
    local, at, domain = address.strip().lower().rpartition("@")
    if not at or "+" not in local:
        return None
    base, _, tag = local.partition("+")
    command = command_of(tag)
    if command is None:
        return None
    for archive in settings.archives:
        domains = {a.rpartition("@")[2] for a in archive.address}
        locals_ = {a.rpartition("@")[0] for a in archive.address} | {archive.slug}
        if domain.rstrip(".") in domains and base in locals_:
            return archive.slug, command
    return None


def command_recipient(settings: Settings, address: str):
    """An intake Recipient (tag = the command) for SLUG+COMMAND@DOMAIN, or None.

    For the SMTP listener's RCPT check: the slug form works even where the archive's
    address has another local part, or plus-addressing is off.
    """
    from replyall.intake.recipients import Recipient

    found = resolve_command(settings, address)
    if found is None:
        return None
    slug, command = found
    archive = settings.archive(slug)
    return Recipient(slug=slug, address=archive.address[0] if archive else address, tag=command)


def requester(data: bytes, envelope_from: str) -> str | None:
    """Who to act for: the From address (what a person or Gmail's one-click mailto sends), else
    the envelope sender. None for mail that must get no answer (RFC 3834 section 2):
    bounces (null sender), anything Auto-Submitted, and our own summaries.
    """
    try:
        headers = _HEADERS.parsebytes(data)
    except Exception:  # noqa: BLE001 - unreadable headers: act on the envelope alone
        headers = None
    if not envelope_from or envelope_from == "<>":
        return None
    if headers is not None:
        auto = str(headers.get("Auto-Submitted") or "").split(";")[0].strip().lower()
        if (auto and auto != "no") or headers.get(DIGEST_HEADER) is not None:
            return None
        parsed = parse_address(str(headers.get("From") or ""))
        if parsed and parsed[1]:
            return parsed[1].lower()
    return envelope_from.strip("<>").lower() or None


def handle_command(
    session: Session, settings: Settings, clock: Clock, archive_slug: str, command: str, sender: str
) -> EmailMessage | None:
    """Apply COMMAND for SENDER inside the caller's transaction; returns the reply to send.

    subscribe still needs the emailed link: a From header is easy to forge, and double
    opt-in is what keeps a summary out of inboxes that never asked for it.
    unsubscribe acts at once (RFC 2369 mailto, as mail clients' unsubscribe buttons expect).
    """
    try:
        if command == "subscribe":
            outcome = subscriptions.request(session, settings, clock, archive_slug, sender, source="mail")
            return outcome.mail
        if command == "unsubscribe":
            outcome = subscriptions.unsubscribe(session, settings, clock, archive_slug, sender)
            template = "unsubscribed" if outcome.status == "unsubscribed" else "not_subscribed"
            return subscriptions.notice(settings, clock, archive_slug, sender, template)
    except subscriptions.SubscriptionError as exc:
        log.info("mail command refused", extra={"archive": archive_slug, "command": command, "reason": str(exc)})
        return None
    raise ValueError(f"unknown command {command!r}")


async def process_command(
    db: Database,
    settings: Settings,
    clock: Clock,
    archive_slug: str,
    command: str,
    data: bytes,
    envelope_from: str,
    *,
    relay: Relay | None = None,
) -> str:
    """What the SMTP listener calls for a command recipient; returns a short status for its log.

    Database errors propagate (answer 451, the client retries); a reply the relay
    will not take is logged, since the change itself is already committed.
    """
    sender = requester(data, envelope_from)
    if sender is None:
        log.info("mail command ignored (automatic mail)", extra={"archive": archive_slug, "command": command})
        return "ignored"
    reply = await db.write(lambda s: handle_command(s, settings, clock, archive_slug, command, sender))
    if reply is None:
        return "no reply"
    own = relay is None
    # Two tries only: the SMTP client is waiting for our 250.
    relay = relay or Relay(settings, attempts=2, backoff=1.0)
    try:
        await relay.send(reply, sender)
    except DeliveryError as exc:
        log.warning("mail command reply not delivered", extra={"archive": archive_slug, "recipient": sender, "reason": str(exc)[:200]})
        return "reply failed"
    finally:
        if own:
            await relay.close()
    return "replied"


async def run_commands(db: Database, settings: Settings, clock: Clock, recipients, data: bytes, envelope_from: str) -> None:
    """Every command recipient of one SMTP transaction (`recipients`: intake Recipients whose tag is a command)."""
    done: set[tuple[str, str]] = set()
    for recipient in recipients:
        key = (recipient.slug, command_of(recipient.tag) or "")
        if key in done:
            continue  # the same command twice on one envelope is one request
        done.add(key)
        status = await process_command(db, settings, clock, key[0], key[1], data, envelope_from)
        log.info("mail command", extra={"archive": key[0], "command": key[1], "status": status})
