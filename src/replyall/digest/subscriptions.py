"""Subscribe (double opt-in), confirm and unsubscribe: the state changes shared by web, mail commands and CLI."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.models import Subscriber
from replyall.digest import links, queries
from replyall.digest.render import render_pair
from replyall.digest.tokens import CONFIRM, TokenError, UNSUBSCRIBE, make_token, read_token

#: One confirmation mail per address per this long: the form cannot be used to flood
#: somebody's inbox.
RESEND_AFTER = timedelta(minutes=10)

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


class SubscriptionError(Exception):
    """A request that cannot be honoured; the message is fit to show the person."""


@dataclass
class Outcome:
    """What happened, and the mail to send (None: nothing to send)."""

    #: confirm_sent, throttled, already_active, not_allowed, confirmed, unsubscribed, not_subscribed
    status: str
    subscriber: Subscriber | None = None
    mail: EmailMessage | None = None


def normalise(address: str) -> str:
    address = (address or "").strip().lower()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise SubscriptionError("Please enter a valid email address, such as name@example.gov.uk.")
    return address


def _archive_id(session: Session, settings: Settings, slug: str) -> int:
    archive = queries.archive_by_slug(session, slug)
    if archive is None or settings.archive(slug) is None:
        raise SubscriptionError("There is no such archive.")
    return archive.id


def _may_receive(session: Session, settings: Settings, slug: str, address: str) -> bool:
    from replyall.members import may_read

    archive = queries.archive_by_slug(session, slug)
    return archive is not None and may_read(session, settings, archive, address)


def request(session: Session, settings: Settings, clock: Clock, slug: str, address: str, *, source: str = "web") -> Outcome:
    """Start a subscription: record it as pending and return the confirmation mail.

    The same answer is shown whatever the address's state, so the form does not
    reveal who subscribes; an active subscriber is told by mail instead.
    """
    address = normalise(address)
    if any(address == a for conf in settings.archives for a in conf.address):
        # A summary sent to an archive address would come straight back (loop).
        raise SubscriptionError("An archive address cannot subscribe to summaries.")
    archive_id = _archive_id(session, settings, slug)
    if not _may_receive(session, settings, slug, address):
        # A members-only archive's summary goes only to its readers; anyone else sees
        # the same answer and gets nothing.
        return Outcome("not_allowed")
    now = clock.now()
    # RFC 3834 3.1.7: an answer to a mail is "auto-replied", one started by a web form "auto-generated".
    answer = "auto-replied" if source == "mail" else "auto-generated"
    row = queries.subscriber(session, archive_id, address)
    if row is not None and row.confirm_sent_at is not None and now - row.confirm_sent_at < RESEND_AFTER:
        return Outcome("throttled", row)
    if row is None:
        row = Subscriber(archive_id=archive_id, address=address, status="pending", created_at=now, source=source, nonce="")
        session.add(row)
    row.confirm_sent_at = now
    if row.status == "active":
        session.flush()
        return Outcome("already_active", row, _mail(settings, clock, slug, address, "already_subscribed", nonce=row.nonce, auto_submitted=answer))
    # A new nonce makes any older confirmation link for this address useless.
    row.status, row.nonce, row.source = "pending", secrets.token_hex(16), source
    session.flush()
    return Outcome("confirm_sent", row, _mail(settings, clock, slug, address, "confirm", nonce=row.nonce, auto_submitted=answer))


def confirm(session: Session, settings: Settings, clock: Clock, slug: str, token: str) -> Outcome:
    """Activate the subscription the confirmation token names; raises TokenError."""
    data = read_token(settings, clock, CONFIRM, token)
    if data.archive != slug:
        raise TokenError("this link is not valid")
    archive_id = _archive_id(session, settings, slug)
    row = queries.subscriber(session, archive_id, data.address)
    if row is None or row.nonce != data.nonce:
        raise TokenError("this link has been replaced by a newer one; please use the latest email")
    if row.status == "active":
        return Outcome("already_active", row)
    row.status, row.confirmed_at, row.bounced_at, row.last_error = "active", clock.now(), None, None
    row.unsubscribed_at = None
    session.flush()
    return Outcome("confirmed", row)


def unsubscribe(session: Session, settings: Settings, clock: Clock, slug: str, address: str) -> Outcome:
    """Stop the summaries to `address` (idempotent)."""
    archive_id = _archive_id(session, settings, slug)
    row = queries.subscriber(session, archive_id, address.strip().lower())
    if row is None or row.status == "unsubscribed":
        return Outcome("not_subscribed", row)
    row.status, row.unsubscribed_at = "unsubscribed", clock.now()
    session.flush()
    return Outcome("unsubscribed", row)


def unsubscribe_by_token(session: Session, settings: Settings, clock: Clock, slug: str, token: str) -> Outcome:
    data = read_token(settings, clock, UNSUBSCRIBE, token)
    if data.archive != slug:
        raise TokenError("this link is not valid")
    return unsubscribe(session, settings, clock, slug, data.address)


def _mail(settings: Settings, clock: Clock, slug: str, address: str, template: str, *, nonce: str = "", auto_submitted: str = "auto-generated") -> EmailMessage:
    from replyall.digest.send import compose

    archive = settings.archive(slug)
    assert archive is not None
    context = dict(
        archive=archive,
        address=address,
        confirm_url=links.confirm_url(settings, slug, make_token(settings, clock, CONFIRM, slug, address, nonce)),
        unsubscribe_url=links.unsubscribe_url(settings, slug, make_token(settings, clock, UNSUBSCRIBE, slug, address)),
        subscribe_url=links.subscribe_url(settings, slug),
        command_subscribe=links.command_address(settings, slug, "subscribe"),
        command_unsubscribe=links.command_address(settings, slug, "unsubscribe"),
        send_time=settings.digest.send_time,
        time_zone=settings.web.time_zone,
    )
    subjects = {
        "confirm": f"Confirm your daily summary of {archive.name}",
        "already_subscribed": f"You already receive the daily summary of {archive.name}",
        "unsubscribed": f"You will no longer receive the daily summary of {archive.name}",
        "not_subscribed": f"You were not subscribed to the daily summary of {archive.name}",
    }
    text, html = render_pair(settings, template, **context)
    return compose(settings, clock, to=address, subject=subjects[template], text=text, html=html, slug=slug, auto_submitted=auto_submitted)


def notice(settings: Settings, clock: Clock, slug: str, address: str, template: str) -> EmailMessage:
    """A reply to a mail command ("unsubscribed", "not_subscribed"); RFC 3834 auto-replied."""
    return _mail(settings, clock, slug, address, template, auto_submitted="auto-replied")
