"""Subscribing on the web: double opt-in by emailed link, RFC 8058 one-click unsubscribe, the preview page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from digest_helpers import archive_id, deliver, mail
from fastapi.testclient import TestClient
from sqlalchemy import select

from replyall.db.models import Subscriber
from replyall.digest.tokens import UNSUBSCRIBE, make_token
from replyall.web.app import create_app

FORM = "/a/comms-network/digest/subscribe"


@pytest.fixture
def client(settings, db, clock):
    with TestClient(create_app(settings, db, clock), base_url="http://archive.test") as c:
        yield c


def subscriber(db, address: str, slug: str = "comms-network") -> Subscriber | None:
    with db.reader() as session:
        return session.scalars(
            select(Subscriber).where(Subscriber.archive_id == archive_id(db, slug), Subscriber.address == address)
        ).first()


def ask(client, address: str):
    page = client.get(FORM)
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(FORM, data={"csrf_token": csrf, "address": address})


def confirm_link(sink, address: str) -> str:
    mails = sink.to(address)
    assert mails, f"no mail to {address}"
    text = mails[-1].part("plain")
    url = re.search(r"http://archive\.test(/a/comms-network/digest/confirm\?token=\S+)", text).group(1)
    assert url in mails[-1].part("html").replace("&amp;", "&")
    return url


def test_double_opt_in(client, db, sink):
    response = ask(client, "New.Reader@Example.gov.uk")
    assert response.status_code == 200 and "Check your email" in response.text
    row = subscriber(db, "new.reader@example.gov.uk")
    assert row is not None and row.status == "pending" and row.source == "web"
    mail_ = sink.to("new.reader@example.gov.uk")[0].message
    assert mail_["Subject"] == "Confirm your daily summary of Comms network"
    assert mail_["Auto-Submitted"] == "auto-generated" and mail_["X-Replyall-Digest"] == "comms-network"
    link = confirm_link(sink, "new.reader@example.gov.uk")

    # Following the link shows a button; a mail scanner's GET confirms nothing.
    page = client.get(link)
    assert page.status_code == 200 and "new.reader@example.gov.uk" in page.text
    assert subscriber(db, "new.reader@example.gov.uk").status == "pending"
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    done = client.post("/a/comms-network/digest/confirm", data={"token": token})
    assert done.status_code == 200 and "You are subscribed" in done.text
    row = subscriber(db, "new.reader@example.gov.uk")
    assert row.status == "active" and row.confirmed_at is not None
    again = client.post("/a/comms-network/digest/confirm", data={"token": token})
    assert again.status_code == 200 and "already receive" in again.text


def test_repeated_requests_are_throttled_and_active_subscribers_told(client, db, sink, clock):
    ask(client, "reader@example.gov.uk")
    ask(client, "reader@example.gov.uk")
    assert len(sink.to("reader@example.gov.uk")) == 1  # no flood from the form
    clock.advance(timedelta(minutes=11))
    ask(client, "reader@example.gov.uk")
    assert len(sink.to("reader@example.gov.uk")) == 2
    # Only the newest link works.
    first = re.search(r"token=(\S+)", sink.to("reader@example.gov.uk")[0].part("plain")).group(1)
    stale = client.post("/a/comms-network/digest/confirm", data={"token": first})
    assert stale.status_code == 400 and subscriber(db, "reader@example.gov.uk").status == "pending"
    token = re.search(r"token=(\S+)", sink.to("reader@example.gov.uk")[1].part("plain")).group(1)
    assert client.post("/a/comms-network/digest/confirm", data={"token": token}).status_code == 200
    clock.advance(timedelta(minutes=11))
    response = ask(client, "reader@example.gov.uk")
    assert "Check your email" in response.text  # the page does not tell
    assert sink.to("reader@example.gov.uk")[-1].message["Subject"].startswith("You already receive")
    assert subscriber(db, "reader@example.gov.uk").status == "active"


def test_expired_and_forged_confirmation_links_are_refused(client, db, sink, clock):
    ask(client, "late@example.gov.uk")
    link = confirm_link(sink, "late@example.gov.uk")
    token = link.split("token=")[1]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    page = client.get(link.replace(token, forged))
    assert page.status_code == 400 and "does not work" in page.text
    assert client.post("/a/comms-network/digest/confirm", data={"token": forged}).status_code == 400
    # A valid token for another archive is no good here either.
    wrong = client.post("/a/private-list/digest/confirm", data={"token": token})
    assert wrong.status_code == 400
    clock.advance(timedelta(days=3, minutes=1))
    page = client.get(link)
    assert page.status_code == 400 and "expired" in page.text
    assert client.post("/a/comms-network/digest/confirm", data={"token": token}).status_code == 400
    assert subscriber(db, "late@example.gov.uk").status == "pending"


def test_bad_addresses_are_refused_on_the_form(client, db, sink):
    response = ask(client, "not an address")
    assert response.status_code == 400 and "valid email address" in response.text
    loop = ask(client, "comms-network@archive.example.org")
    assert loop.status_code == 400 and "archive address" in loop.text
    assert sink.received == []


def test_form_needs_its_csrf_token(client, sink):
    response = client.post(FORM, data={"address": "x@example.gov.uk"})
    assert response.status_code == 403 and sink.received == []


def _active(db, clock, address: str) -> None:
    with db.transaction() as session:
        session.add(Subscriber(archive_id=archive_id(db), address=address, status="active", nonce="n",
                               created_at=clock.now(), confirmed_at=clock.now()))


def test_one_click_unsubscribe(settings, db, clock):
    _active(db, clock, "reader@example.gov.uk")
    token = make_token(settings, clock, UNSUBSCRIBE, "comms-network", "reader@example.gov.uk")
    url = f"/a/comms-network/digest/unsubscribe?token={token}"
    app = create_app(settings, db, clock)
    # A mail provider: no cookies, no CSRF token, just the RFC 8058 body.
    with TestClient(app, base_url="http://archive.test") as provider:
        page = provider.get(url)
        assert page.status_code == 200 and "Unsubscribe" in page.text
        assert subscriber(db, "reader@example.gov.uk").status == "active"  # GET changes nothing
        response = provider.post(url, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200 and "You are unsubscribed" in response.text
        row = subscriber(db, "reader@example.gov.uk")
        assert row.status == "unsubscribed" and row.unsubscribed_at == clock.now()
        assert provider.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # idempotent


def test_forged_unsubscribe_token_is_refused(settings, db, clock):
    _active(db, clock, "reader@example.gov.uk")
    token = make_token(settings, clock, UNSUBSCRIBE, "comms-network", "reader@example.gov.uk")
    forged = token.replace(token.split(".")[-1], "x" * len(token.split(".")[-1]))
    other_key = make_token(settings.model_copy(update={"web": settings.web.model_copy(update={"secret_key": "another-secret-key-of-length"})}),
                           clock, UNSUBSCRIBE, "comms-network", "reader@example.gov.uk")
    with TestClient(create_app(settings, db, clock), base_url="http://archive.test") as provider:
        for bad in (forged, other_key, "", "garbage"):
            response = provider.post(f"/a/comms-network/digest/unsubscribe?token={bad}", data={"List-Unsubscribe": "One-Click"})
            assert response.status_code == 400
    assert subscriber(db, "reader@example.gov.uk").status == "active"


def test_preview_page(client, db, settings, clock):
    # Yesterday's window (the latest due at 09:30 on 20 Nov is the one ending 07:00 today).
    clock.set(clock.now() - timedelta(hours=12))
    deliver(db, settings, clock, mail("p@x", "Ann <ann@council.gov.uk>", "Who uses <Canva>?", "Does anyone use Canva?", when=clock.now()))
    clock.advance(timedelta(hours=12))
    page = client.get("/a/comms-network/digest/preview")
    assert page.status_code == 200
    assert "Who uses &lt;Canva&gt;?" in page.text and "Does anyone use Canva?" in page.text
    assert "The email as text" in page.text
    empty = client.get("/a/comms-network/digest/preview?date=2026-11-10")
    assert empty.status_code == 200 and "No new messages" in empty.text


def test_members_only_archive_is_not_shown_to_strangers(client):
    assert client.get("/a/private-list/digest/subscribe").status_code == 404
    assert client.get("/a/private-list/digest/preview").status_code == 404
    assert client.get("/a/no-such/digest/subscribe").status_code == 404
