"""Mail fixtures for a members-only archive, and sign-in by link (the relay is support.relay)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from support.relay import Sink
from support.web import ingest as web_ingest
from support.web import make_mail

PRIVATE = "private@archive.example.org"
PUBLIC = "comms-network@archive.example.org"
ADMIN = "admin@archive-keepers.gov.uk"
MEMBER = "jane@council.gov.uk"
CC_MEMBER = "sam@nhs-trust.nhs.uk"
OUTSIDER = "mallory@example.com"
#: A word that appears only in the members-only archive's mail: no anonymous or
#: non-member response may ever contain it.
SECRET = "zanzibarquartz"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def mail(
    mid: str, *, sender: str = MEMBER, to: str = PRIVATE, cc: str = CC_MEMBER, subject: str = "Flood plan",
    body: str = f"The {SECRET} figures are attached.\n", date: datetime, parent: str | None = None,
    references: list[str] | None = None, headers: dict[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    """A message to the members-only archive by default (support.web.make_mail with these defaults)."""
    return make_mail(
        mid, sender=sender, to=to, cc=cc, subject=subject, body=body, date=date, parent=parent,
        references=references, headers=headers,
        attachments=[(attachment[0], "text/plain", attachment[1])] if attachment else (),
    )


def ingest(db, settings, clock, *raws: bytes, slug: str = "private-list") -> None:
    """support.web.ingest into the members-only archive by default."""
    web_ingest(db, settings, clock, *raws, slug=slug)


def flood_thread(db, settings, clock, first: str, reply: str, when: datetime) -> dict:
    """The members-only conversation most admin tests act on: `first` carries SECRET in its
    text and attachment, `reply` comes from a cc'd member. Its public ids, and row ids by Message-ID."""
    from replyall.db.models import Message

    ingest(
        db, settings, clock,
        mail(first, date=when, attachment=("figures.txt", f"{SECRET} table".encode())),
        mail(reply, sender=CC_MEMBER, cc=MEMBER, date=when.replace(hour=11), parent=first,
             subject="Re: Flood plan", body="Thanks, see you Tuesday.\n"),
    )
    with db.reader() as session:
        rows = {m.message_id: m for m in session.scalars(select(Message).where(Message.message_id.in_([first, reply])))}
        return {"hash": rows[first].message_id_hash, "key": rows[first].thread.key, "raw_id": rows[first].raw_id,
                "ids": {mid: m.id for mid, m in rows.items()}}


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the form"
    return found.group(1)


def moderate(browser, mid_hash: str, action: str, slug: str = "private-list", **data):
    """An administrator's action on a message, posted from its admin page with that page's CSRF token."""
    page = browser.get(f"/admin/{slug}/m/{mid_hash}")
    assert page.status_code == 200
    return browser.post(
        f"/admin/{slug}/m/{mid_hash}/{action}", data={"csrf_token": csrf_of(page.text), **data}, follow_redirects=False,
    )


def link_in(message: EmailMessage) -> str:
    body = message.get_content()
    found = re.search(r"http://archive\.test(/login/confirm\?token=\S+)", body)
    assert found, body
    return found.group(1)


def sign_in(client, sink: Sink, address: str) -> None:
    """The whole flow a person goes through: form, mail, link, confirm button."""
    before = len(sink.to(address))
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_of(page.text), "address": address})
    assert response.status_code == 200, response.text
    messages = sink.wait_for_mail(address, before + 1)
    assert len(messages) == before + 1, f"no sign-in mail for {address}"
    confirm = client.get(link_in(messages[-1]))
    assert confirm.status_code == 200, confirm.text
    token = re.search(r'name="token" value="([^"]+)"', confirm.text).group(1)
    done = client.post("/login/confirm", data={"csrf_token": csrf_of(confirm.text), "token": token}, follow_redirects=False)
    assert done.status_code == 303, done.text


def later(clock, minutes: int) -> datetime:
    return clock.now() + timedelta(minutes=minutes)
