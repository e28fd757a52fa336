"""Send one archive's summary for one day to every subscriber, exactly once, through the relay."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.engine import Database
from replyall.db.models import DigestClaim, Subscriber
from replyall.digest import DIGEST_HEADER, links, queries, schedule
from replyall.digest.build import Digest
from replyall.digest.relay import Deferred, Rejected, Relay, RelayDown, Sleep
from replyall.digest.render import digest_subject, render_digest
from replyall.digest.tokens import UNSUBSCRIBE, make_token

log = logging.getLogger(__name__)

#: A claim the relay deferred is tried again by later runs, this many times in all.
MAX_CLAIM_ATTEMPTS = 5


@dataclass
class SendReport:
    archive: str
    day: date
    empty: bool = False
    sent: int = 0
    already: int = 0
    deferred: int = 0
    bounced: int = 0
    errors: list[str] = field(default_factory=list)


def compose(
    settings: Settings,
    clock: Clock,
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    slug: str,
    message_id: str | None = None,
    auto_submitted: str = "auto-generated",
) -> EmailMessage:
    """A multipart/alternative message from us, marked so it is never archived if it comes back."""
    archive = settings.archive(slug)
    msg = EmailMessage()
    msg["From"] = formataddr((f"{archive.name if archive else slug} (summary)", settings.relay.from_address))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(clock.now())
    domain = settings.relay.from_address.rpartition("@")[2] or settings.smtp.hostname
    msg["Message-ID"] = message_id or make_msgid("replyall", domain=domain)
    # RFC 3834: automatic mail; vacation responders and our own classifier leave it be.
    msg["Auto-Submitted"] = auto_submitted
    msg[DIGEST_HEADER] = slug
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


def digest_message(settings: Settings, clock: Clock, digest: Digest, *, address: str, message_id: str | None = None) -> EmailMessage:
    """The summary as it goes to `address`, with that subscriber's own unsubscribe links."""
    slug = digest.archive_slug
    token = make_token(settings, clock, UNSUBSCRIBE, slug, address)
    unsubscribe = links.unsubscribe_url(settings, slug, token)
    command = links.command_address(settings, slug, "unsubscribe")
    text, html = render_digest(
        settings, digest, unsubscribe_url=unsubscribe, archive_url=links.archive_url(settings, slug), command_unsubscribe=command
    )
    msg = compose(settings, clock, to=address, subject=digest_subject(digest), text=text, html=html, slug=slug, message_id=message_id)
    archive = settings.archive(slug)
    list_host = archive.address[0].rpartition("@")[2] if archive else settings.smtp.hostname
    # RFC 2919 List-Id, RFC 2369 List-Unsubscribe, RFC 8058 one-click (needs the https
    # URL and List-Unsubscribe-Post; Gmail and Yahoo require it of bulk senders).
    msg["List-Id"] = f"{digest.archive_name} daily summary <{slug}.digest.{list_host}>"
    msg["List-Unsubscribe"] = f"<{unsubscribe}>, <mailto:{command}?subject=unsubscribe>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["List-Archive"] = f"<{links.archive_url(settings, slug)}>"
    msg["Precedence"] = "bulk"
    return msg


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def claim(session: Session, archive_id: int, day: date, subscriber_id: int, clock: Clock) -> int | None:
    """Claim the right to send (archive, day, subscriber); the claim id, or None if taken.

    INSERT ... ON CONFLICT DO NOTHING on the unique key decides between racing senders
    (threads, processes, instances) in the database itself. A claim the relay deferred
    is taken over by a conditional UPDATE, which only one racer can win as well.
    """
    stmt = (
        _insert(session)(DigestClaim)
        .values(archive_id=archive_id, day=day, subscriber_id=subscriber_id, status="claimed", claimed_at=clock.now(), attempts=1)
        .on_conflict_do_nothing(index_elements=["archive_id", "day", "subscriber_id"])
        .returning(DigestClaim.id)
    )
    claim_id = session.execute(stmt).scalar()
    if claim_id is not None:
        return claim_id
    retaken = session.execute(
        update(DigestClaim)
        .where(
            DigestClaim.archive_id == archive_id,
            DigestClaim.day == day,
            DigestClaim.subscriber_id == subscriber_id,
            DigestClaim.status == "deferred",
            DigestClaim.attempts < MAX_CLAIM_ATTEMPTS,
        )
        .values(status="claimed", claimed_at=clock.now(), attempts=DigestClaim.attempts + 1)
        .returning(DigestClaim.id)
    ).scalar()
    return retaken


def _finish(session: Session, claim_id: int, subscriber_id: int, clock: Clock, status: str, *, message_id: str | None = None, error: str | None = None) -> None:
    values: dict = {"status": status, "error": error}
    if status == "sent":
        values.update(sent_at=clock.now(), message_id=message_id)
    session.execute(update(DigestClaim).where(DigestClaim.id == claim_id).values(**values))
    if status == "bounced":
        session.execute(
            update(Subscriber)
            .where(Subscriber.id == subscriber_id, Subscriber.status == "active")
            .values(status="bouncing", bounced_at=clock.now(), last_error=error)
        )


async def send_day(
    db: Database,
    settings: Settings,
    clock: Clock,
    slug: str,
    day: date,
    *,
    relay: Relay | None = None,
    sleep: Sleep = asyncio.sleep,
) -> SendReport:
    """Send the summary of `slug` for `day` to its active subscribers; safe to run twice at once."""
    report = SendReport(slug, day)

    def load() -> tuple[int, Digest, list[tuple[int, str]]] | None:
        with db.reader() as session:
            digest = queries.digest_for(session, settings, slug, day)
            if digest is None:
                return None
            archive = queries.archive_by_slug(session, slug)
            assert archive is not None
            people = queries.recipients(session, archive.id, schedule.send_at(day, settings))
            if archive.visibility != "public":
                from replyall.members import may_read

                # Checked again at each send: a reader since blocked or erased gets nothing.
                people = [(sid, address) for sid, address in people if may_read(session, settings, archive, address)]
            return archive.id, digest, people

    loaded = await asyncio.to_thread(load)
    if loaded is None:
        report.errors.append(f"unknown archive {slug!r}")
        return report
    archive_id, digest, people = loaded
    if digest.is_empty and settings.digest.skip_empty:
        report.empty = True
        log.info("digest empty, nothing sent", extra={"archive": slug, "day": day.isoformat()})
        return report

    own = relay is None
    relay = relay or Relay(settings, sleep=sleep)
    domain = settings.relay.from_address.rpartition("@")[2] or settings.smtp.hostname
    try:
        for subscriber_id, address in people:
            claim_id = await db.write(lambda s: claim(s, archive_id, day, subscriber_id, clock))
            if claim_id is None:
                report.already += 1
                continue
            # Stable per claim: should a copy ever escape twice, mail clients fold them.
            message_id = f"<digest.{slug}.{day.isoformat()}.{subscriber_id}.{claim_id}@{domain}>"
            msg = digest_message(settings, clock, digest, address=address, message_id=message_id)
            try:
                await relay.send(msg, address)
            except Rejected as exc:
                report.bounced += 1
                error = str(exc)[:500]  # bound here: the lambda runs on the writer thread
                await db.write(lambda s: _finish(s, claim_id, subscriber_id, clock, "bounced", error=error))
                log.warning("digest bounced", extra={"archive": slug, "recipient": address, "reason": str(exc)[:200]})
                continue
            except Deferred as exc:
                report.deferred += 1
                report.errors.append(str(exc))
                error = str(exc)[:500]
                await db.write(lambda s: _finish(s, claim_id, subscriber_id, clock, "deferred", error=error))
                if isinstance(exc, RelayDown):
                    # The rest stay unclaimed for the next run rather than burning attempts.
                    report.deferred += len(people) - (report.sent + report.already + report.deferred + report.bounced)
                    log.error("relay unavailable, digest run stopped", extra={"archive": slug, "reason": str(exc)[:200]})
                    break
                continue
            report.sent += 1
            await db.write(lambda s: _finish(s, claim_id, subscriber_id, clock, "sent", message_id=message_id))
            log.info("digest sent", extra={"archive": slug, "recipient": address, "message_id": message_id})
    finally:
        if own:
            await relay.close()
    return report
