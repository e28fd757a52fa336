"""A member's own data: every message they sent as mbox, and erasure on request once an admin approves."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime

import pytest
from support.auth import ADMIN, CC_MEMBER, MEMBER, PUBLIC, SECRET, csrf_of, ingest, mail, sign_in
from sqlalchemy import select

from replyall.db.models import AuditEntry, ErasureRequest, Message, RawMessage
from replyall.search import search

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def archived(db, settings, clock):
    ingest(db, settings, clock,
           mail("p1@council.gov.uk", date=WHEN),
           mail("p2@nhs.uk", sender=CC_MEMBER, cc=MEMBER, date=WHEN.replace(hour=10), parent="p1@council.gov.uk",
                subject="Re: Flood plan", body="Noted, thanks.\nFrom the way I see it, fine.\n"))
    ingest(db, settings, clock,
           mail("q1@council.gov.uk", to=PUBLIC, cc="", date=WHEN.replace(hour=12), subject="Open question",
                body="From Monday the office moves.\n"),
           slug="comms-network")


def test_my_data_lists_and_downloads_only_my_messages(client, sink, archived, tmp_path):
    assert client.get("/me").status_code == 404
    assert client.get("/me/messages.mbox").status_code == 404
    sign_in(client, sink, MEMBER)
    page = client.get("/me")
    assert page.status_code == 200
    assert "Flood plan" in page.text and "Open question" in page.text and "Re: Flood plan" not in page.text
    response = client.get("/me/messages.mbox")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/mbox")
    assert "attachment" in response.headers["content-disposition"]
    path = tmp_path / "mine.mbox"
    path.write_bytes(response.content)
    box = mailbox.mbox(str(path))
    ids = sorted(m["Message-ID"] for m in box)
    assert ids == ["<p1@council.gov.uk>", "<q1@council.gov.uk>"]
    bodies = {m["Message-ID"]: m.get_payload(decode=True).decode() for m in box}
    # mboxrd: a body line starting "From " is escaped, so it cannot split the message in two
    # (mboxrd readers remove the ">" again; Python's mailbox leaves it).
    assert bodies["<q1@council.gov.uk>"].startswith(">From Monday the office moves.")
    assert SECRET in bodies["<p1@council.gov.uk>"]


def test_erasure_request_then_admin_approval_erases_everything_i_sent(db, client, new_client, sink, archived):
    sign_in(client, sink, MEMBER)
    page = client.get("/me")
    assert client.post("/me/erasure", data={}, follow_redirects=False).status_code == 403
    response = client.post("/me/erasure", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    # Asking twice leaves one open request.
    client.post("/me/erasure", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert "waiting for an administrator" in client.get("/me").text
    with db.reader() as session:
        req = session.scalars(select(ErasureRequest)).one()
        assert (req.address, req.status) == (MEMBER, "pending")
        assert session.scalar(select(Message.id).where(Message.from_address == MEMBER)) is not None

    admin = new_client()
    sign_in(admin, sink, ADMIN)
    listing = admin.get("/admin/erasure")
    assert MEMBER in listing.text and "2 messages" in listing.text
    done = admin.post(f"/admin/erasure/{req.id}/approve", data={"csrf_token": csrf_of(listing.text)}, follow_redirects=False)
    assert done.status_code == 303
    with db.reader() as session:
        assert session.scalars(select(Message).where(Message.from_address == MEMBER, Message.is_ghost.is_(False))).all() == []
        assert all(SECRET.encode() not in raw and b"From Monday" not in raw for raw in session.scalars(select(RawMessage.raw)))
        assert search(session, SECRET, archive_ids=None).total == 0
        assert search(session, "office moves", archive_ids=None).total == 0
        # The other member's reply stays.
        assert session.scalars(select(Message).where(Message.from_address == CC_MEMBER)).one().body.startswith("Noted")
        req = session.get(ErasureRequest, req.id)
        assert (req.status, req.decided_by, req.erased_count) == ("done", ADMIN, 2)
        assert "erase-address" in session.scalars(select(AuditEntry.action)).all()
    # Still a member (they are in Cc of the surviving reply), with nothing left of their own.
    page = client.get("/me")
    assert page.status_code == 200 and "No archive holds a message from this address" in page.text
    # Deciding twice is refused.
    again = admin.post(f"/admin/erasure/{req.id}/refuse", data={"csrf_token": csrf_of(listing.text)})
    assert again.status_code == 400
