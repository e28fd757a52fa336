"""Sender bans: what a banned sender sends is archived but arrives hidden, until the ban is lifted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from support.auth import ADMIN, PUBLIC, csrf_of, moderate
from support.intake import LiveServer
from support.web import ingest, make_mail
from sqlalchemy import select

from replyall.cli.common import AppContext
from replyall.cli.reindex import reindex
from replyall.db.models import AuditEntry, Message, RawMessage, SenderBan, Thread
from replyall.pipeline.runner import drain

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
SPAMMER = ("Cheap Meds", "offers@pills.example")


@pytest.fixture
def archive(db, settings, clock):
    """A real conversation and one spam post, in the public archive."""
    ingest(
        db, settings, clock,
        make_mail("q@council.gov.uk", subject="Social media policy", date=WHEN, to=PUBLIC,
                  sender=("Jane Doe", "jane@council.gov.uk"), body="Has anyone got a social media policy?\n"),
        make_mail("spam1@pills.example", subject="Discount zorbulux", date=WHEN.replace(hour=11), to=PUBLIC,
                  sender=SPAMMER, body="Buy zorbulux now.\n"),
    )
    with db.reader() as session:
        return {m.message_id: (m.message_id_hash, m.thread.key)
                for m in session.scalars(select(Message).where(Message.is_ghost.is_(False)))}


def state(db, mid: str) -> tuple[bool, int, datetime]:
    """A message's hidden flag, and its thread's message count and last activity."""
    with db.reader() as session:
        message = session.scalars(select(Message).where(Message.message_id == mid)).one()
        thread = session.get(Thread, message.thread_id)
        return message.hidden, thread.message_count, thread.last_activity_at


def audit_of(db) -> list[tuple[str, str, str, dict]]:
    with db.reader() as session:
        return [(e.actor, e.action, e.target, e.detail)
                for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_banned_sender_s_next_mail_arrives_hidden(db, settings, clock, archive, admin, client):
    spam_hash, _ = archive["spam1@pills.example"]
    path = f"/admin/comms-network/m/{spam_hash}"
    assert moderate(admin, spam_hash, "ban", slug="comms-network").status_code == 303
    page = " ".join(admin.get(path).text.split())
    assert "what this sender sends arrives hidden" in page and "Lift the ban on offers@pills.example" in page

    # A new post and a reply into the real conversation, over real SMTP: both accepted and kept.
    server = LiveServer(settings, db, clock)
    try:
        server.send(make_mail("spam2@pills.example", subject="Zorbulux wholesale", date=WHEN.replace(hour=12),
                              to=PUBLIC, sender=SPAMMER, body="Wholesale prices.\n"), sender=SPAMMER[1])
        server.send(make_mail("spam3@pills.example", subject="Re: Social media policy", date=WHEN.replace(hour=13),
                              to=PUBLIC, sender=SPAMMER, parent="q@council.gov.uk", body="Try zorbulux.\n"),
                    sender=SPAMMER[1])
    finally:
        server.close()
    assert drain(db, settings, clock)["done"] == 2

    assert state(db, "spam2@pills.example")[:2] == (True, 0)
    # The reply keeps its place as a note, but neither counts nor dates the real conversation.
    assert state(db, "spam3@pills.example") == (True, 1, WHEN)
    listing = client.get("/a/comms-network").text
    assert "Zorbulux wholesale" not in listing and "Social media policy" in listing
    _, question_key = archive["q@council.gov.uk"]
    thread = client.get(f"/t/{question_key}").text
    assert "hidden by the archive" in thread and "Try zorbulux" not in thread
    assert "zorbulux" not in client.get("/a/comms-network/search", params={"q": "wholesale"}).text.lower()
    with db.reader() as session:
        kept = session.scalars(select(RawMessage.status).where(RawMessage.message_id.like("spam%"))).all()
        jane = session.scalars(select(Message.hidden).where(Message.from_address == "jane@council.gov.uk")).all()
    assert kept == ["done"] * 3 and jane == [False]
    entries = audit_of(db)
    assert entries[0] == (ADMIN, "ban", "address:offers@pills.example", {})
    assert [(actor, action, detail) for actor, action, _, detail in entries[1:]] == [
        (ADMIN, "hide-banned", {"ban": "offers@pills.example"})
    ] * 2
    with db.reader() as session:
        reply_hash = session.scalar(select(Message.message_id_hash).where(Message.message_id == "spam3@pills.example"))
    history = " ".join(admin.get(f"/admin/comms-network/m/{reply_hash}").text.split())
    assert "hide-banned" in history and "on arrival: offers@pills.example is banned" in history

    # Lifting the ban: the next message shows; what came meanwhile stays hidden until shown.
    assert moderate(admin, spam_hash, "unban", slug="comms-network").status_code == 303
    ingest(db, settings, clock, make_mail("spam4@pills.example", subject="Zorbulux again", date=WHEN.replace(hour=14),
                                          to=PUBLIC, sender=SPAMMER, body="Last chance.\n"))
    assert state(db, "spam4@pills.example")[0] is False
    assert state(db, "spam2@pills.example")[0] is True
    assert audit_of(db)[-1][:3] == (ADMIN, "unban", "address:offers@pills.example")


def test_hiding_a_sender_can_ban_them_in_the_same_step(db, settings, clock, archive, admin, client):
    ingest(db, settings, clock, make_mail("spam2@pills.example", subject="Zorbulux wholesale",
                                          date=WHEN.replace(hour=12), to=PUBLIC, sender=SPAMMER, body="Cheap.\n"))
    spam_hash, _ = archive["spam1@pills.example"]
    path = f"/admin/comms-network/m/{spam_hash}"
    page = admin.get(path).text
    assert 'name="ban" value="yes" checked' in page
    assert moderate(admin, spam_hash, "hide-sender", slug="comms-network", ban="yes").status_code == 303
    assert state(db, "spam1@pills.example")[0] and state(db, "spam2@pills.example")[0]
    with db.reader() as session:
        assert session.scalars(select(SenderBan.pattern)).all() == ["offers@pills.example"]
    ingest(db, settings, clock, make_mail("spam3@pills.example", subject="Zorbulux", date=WHEN.replace(hour=13),
                                          to=PUBLIC, sender=SPAMMER, body="Again.\n"))
    assert state(db, "spam3@pills.example")[0] is True
    assert "zorbulux" not in client.get("/a/comms-network").text.lower()


def test_a_domain_ban_covers_its_subdomains_and_nothing_else(db, settings, clock, archive, admin, client):
    page = admin.get("/admin/bans")
    assert page.status_code == 200 and "No sender is banned." in page.text
    token = csrf_of(page.text)
    refused = admin.post("/admin/bans/add", data={"csrf_token": token, "archive": "comms-network",
                                                  "pattern": "pills"})
    assert refused.status_code == 400
    assert "Give an address (name@example.org), or @example.org" in refused.text
    added = admin.post("/admin/bans/add", data={"csrf_token": token, "archive": "comms-network",
                                                "pattern": " *@Pills.Example "}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/admin/bans?done=ban"
    listing = " ".join(admin.get("/admin/bans").text.split())
    assert "everyone at pills.example" in listing and ADMIN in listing

    ingest(
        db, settings, clock,
        make_mail("d1@mail.pills.example", subject="Zorbulux", date=WHEN.replace(hour=12), to=PUBLIC,
                  sender=("Offers", "sales@mail.pills.example"), body="Sale.\n"),
        make_mail("d2@notpills.example", subject="Regional comms day", date=WHEN.replace(hour=13), to=PUBLIC,
                  sender=("Neighbour", "events@notpills.example"), body="Join us.\n"),
    )
    assert state(db, "d1@mail.pills.example")[0] is True
    assert state(db, "d2@notpills.example")[0] is False
    # The spammer's own message page shows the domain ban and lifts it.
    spam_hash, _ = archive["spam1@pills.example"]
    page = " ".join(admin.get(f"/admin/comms-network/m/{spam_hash}").text.split())
    assert "Banned with everyone at pills.example" in page

    lifted = admin.post("/admin/bans/lift", data={"csrf_token": token, "archive": "comms-network",
                                                  "pattern": "@pills.example"})
    assert "Done: lift ban." in lifted.text and "No sender is banned." in lifted.text
    assert client.get("/admin/bans").status_code == 404  # not an administrator


def test_a_full_reindex_keeps_what_moderators_decided_about_banned_mail(db, settings, clock, archive, admin):
    spam_hash, _ = archive["spam1@pills.example"]
    assert moderate(admin, spam_hash, "ban", slug="comms-network").status_code == 303
    ingest(
        db, settings, clock,
        make_mail("spam2@pills.example", subject="Zorbulux", date=WHEN.replace(hour=12), to=PUBLIC,
                  sender=SPAMMER, body="Sale.\n"),
        make_mail("spam3@pills.example", subject="A real question", date=WHEN.replace(hour=13), to=PUBLIC,
                  sender=SPAMMER, body="Is the regional meeting still on?\n"),
    )
    # The administrator shows one of them: it was a real question after all.
    with db.reader() as session:
        shown_hash = session.scalar(select(Message.message_id_hash).where(Message.message_id == "spam3@pills.example"))
    assert moderate(admin, shown_hash, "unhide", slug="comms-network").status_code == 303
    before = audit_of(db)

    result = CliRunner().invoke(reindex, ["--full"], obj=AppContext(None, _settings=settings), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # Posted before the ban: shown; after it: hidden; shown by hand: still shown.
    assert [state(db, f"spam{n}@pills.example")[0] for n in (1, 2, 3)] == [False, True, False]
    assert audit_of(db) == before  # the replay decided nothing again
