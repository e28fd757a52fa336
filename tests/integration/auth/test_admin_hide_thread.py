"""Hiding spam: a conversation whose every message is hidden leaves every list; a hidden reply leaves the counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from support.auth import ADMIN, PUBLIC, csrf_of
from support.web import ingest, make_mail
from sqlalchemy import select

from replyall.db.models import AuditEntry, Message, Thread

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
SPAMMER = ("Cheap Meds", "offers@pills.example")
SPAM_SUBJECT = "Discount pharmacy zorbulux"


@pytest.fixture
def archive(db, settings, clock):
    """The public archive: one real conversation and one spam run (two posts and a reply quoting them)."""
    ingest(
        db, settings, clock,
        make_mail("q@council.gov.uk", subject="Social media policy", date=WHEN, to=PUBLIC,
                  sender=("Jane Doe", "jane@council.gov.uk"), body="Has anyone got a social media policy?\n"),
        make_mail("a@police.uk", subject="Re: Social media policy", date=WHEN.replace(hour=10), to=PUBLIC,
                  sender=("Sam Lee", "sam@police.uk"), parent="q@council.gov.uk", body="Ours is on the intranet.\n"),
        make_mail("spam1@pills.example", subject=SPAM_SUBJECT, date=WHEN.replace(hour=11), to=PUBLIC,
                  sender=SPAMMER, body="Buy zorbulux now.\n"),
        make_mail("spam2@pills.example", subject=f"Re: {SPAM_SUBJECT}", date=WHEN.replace(hour=12), to=PUBLIC,
                  sender=SPAMMER, parent="spam1@pills.example", body="Still on offer.\n"),
    )
    with db.reader() as session:
        rows = {m.message_id: m for m in session.scalars(select(Message).where(Message.is_ghost.is_(False)))}
        return {mid: (m.message_id_hash, m.thread.key) for mid, m in rows.items()}


def post(browser, path: str, action: str):
    page = browser.get(path)
    assert page.status_code == 200
    return browser.post(f"{path}/{action}", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)


def counts(db, key: str) -> tuple[int, int]:
    with db.reader() as session:
        thread = session.scalars(select(Thread).where(Thread.key == key)).one()
        return thread.message_count, thread.participant_count


def last_activity(db, key: str) -> datetime:
    with db.reader() as session:
        return session.scalars(select(Thread.last_activity_at).where(Thread.key == key)).one()


def row_of(listing: str, subject: str) -> str:
    """The thread list entry's title and tags for `subject`."""
    start = listing.index(f">{subject}</a>")
    return listing[start:listing.index('<ul class="counts">', start)]


def everywhere(client, archive) -> dict[str, str]:
    """What an anonymous reader of the public archive can reach."""
    spam_hash, spam_key = archive["spam1@pills.example"]
    return {
        "list": client.get("/a/comms-network").text,
        "archives": client.get("/").text,
        "month": client.get("/a/comms-network/2026/10").text,
        "feed": client.get("/a/comms-network/feed.atom").text,
        "people": client.get("/a/comms-network/people").text,
        "api": client.get("/api/v1/archives/comms-network/threads").text,
        "thread": str(client.get(f"/t/{spam_key}").status_code),
        "message": str(client.get(f"/m/{spam_hash}").status_code),
        "api message": str(client.get("/api/v1/messages/spam1@pills.example").status_code),
        "thread feed": str(client.get(f"/t/{spam_key}/feed.atom").status_code),
    }


def test_hiding_a_whole_conversation_takes_it_off_every_page_and_back(db, archive, admin, client):
    _, spam_key = archive["spam1@pills.example"]
    before = everywhere(client, archive)
    assert SPAM_SUBJECT in before["list"] and SPAM_SUBJECT in before["month"] and SPAM_SUBJECT in before["feed"]
    assert "Cheap Meds" in before["people"] and SPAM_SUBJECT in before["api"]
    assert "2 conversations" in before["archives"]
    assert (before["thread"], before["message"], before["api message"], before["thread feed"]) == ("200",) * 4

    response = post(admin, f"/admin/t/{spam_key}", "hide")
    assert response.status_code == 303 and response.headers["location"].startswith(f"/admin/t/{spam_key}")
    assert counts(db, spam_key) == (0, 0)
    after = everywhere(client, archive)
    for page in ("list", "month", "feed", "people", "api"):
        assert SPAM_SUBJECT not in after[page] and "Cheap Meds" not in after[page], page
        assert "Social media policy" in after[page] or page == "people", page
    assert "Jane Doe" in after["people"]
    assert "1 conversation" in after["archives"] and "2 messages" in after["archives"]
    assert (after["thread"], after["message"], after["api message"], after["thread feed"]) == ("404",) * 4
    # The administrator still reaches it, says how much is hidden and can bring it back.
    page = admin.get(f"/admin/t/{spam_key}").text
    assert "2 messages, 2 hidden" in page and "Hide the whole conversation" not in page
    with db.reader() as session:
        audit = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == ADMIN)).all()
    assert audit == ["hide", "hide"]

    assert post(admin, f"/admin/t/{spam_key}", "unhide").status_code == 303
    assert counts(db, spam_key) == (2, 1)
    assert everywhere(client, archive) == before


def test_a_hidden_reply_leaves_the_counts_but_keeps_its_place(db, archive, admin, client):
    answer_hash, key = archive["a@police.uk"]
    assert counts(db, key) == (2, 2) and last_activity(db, key) == WHEN.replace(hour=10)
    assert "tag-unanswered" not in row_of(client.get("/a/comms-network").text, "Social media policy")
    page = admin.get(f"/admin/comms-network/m/{answer_hash}")
    response = admin.post(f"/admin/comms-network/m/{answer_hash}/hide", data={"csrf_token": csrf_of(page.text)},
                          follow_redirects=False)
    assert response.status_code == 303
    assert counts(db, key) == (1, 1)
    assert last_activity(db, key) == WHEN  # the hidden reply no longer dates the thread
    # The only answer is hidden: readers see a question nobody answered.
    assert "tag-unanswered" in row_of(client.get("/a/comms-network").text, "Social media policy")
    thread = client.get(f"/t/{key}").text
    assert "hidden by the archive" in thread and "Ours is on the intranet" not in thread
    assert "Re: Social media policy" not in thread  # nothing of its content, the subject included
    permalink = client.get(f"/m/{answer_hash}")
    assert permalink.status_code == 200
    assert "<h1>Hidden message</h1>" in permalink.text and "Re: Social media policy</h1>" not in permalink.text
    assert client.get("/api/v1/messages/a@police.uk").json()["subject"] == ""
    people = client.get("/a/comms-network/people").text
    assert "Sam Lee" not in people and "Jane Doe" in people


def test_a_hidden_conversation_stays_hidden_after_a_full_reindex(db, settings, clock, archive, admin, client):
    from click.testing import CliRunner

    from replyall.cli.common import AppContext
    from replyall.cli.reindex import reindex

    _, spam_key = archive["spam1@pills.example"]
    assert post(admin, f"/admin/t/{spam_key}", "hide").status_code == 303
    result = CliRunner().invoke(reindex, ["--full"], obj=AppContext(None, _settings=settings), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    listing = client.get("/a/comms-network").text
    assert SPAM_SUBJECT not in listing and "Social media policy" in listing
    assert client.get(f"/t/{spam_key}").status_code == 404


def test_hiding_every_message_of_a_sender_clears_their_conversations(db, settings, clock, archive, admin, client):
    ingest(db, settings, clock, make_mail("spam3@pills.example", subject="Zorbulux wholesale", date=WHEN.replace(hour=13),
                                          to=PUBLIC, sender=SPAMMER, body="Wholesale prices.\n"))
    spam_hash, spam_key = archive["spam1@pills.example"]
    path = f"/admin/comms-network/m/{spam_hash}"
    page = " ".join(admin.get(path).text.split())
    assert "offers@pills.example sent 3 messages to this archive, in 2 conversations." in page
    assert post(admin, path, "hide-sender").status_code == 303
    listing = client.get("/a/comms-network").text
    assert "zorbulux" not in listing.lower() and "Social media policy" in listing
    assert "Cheap Meds" not in client.get("/a/comms-network/people").text
    page = " ".join(admin.get(path).text.split())
    assert "offers@pills.example sent 3 messages to this archive, in 2 conversations; all 3 are hidden." in page
    assert "Hide every message from this sender" not in page
    with db.reader() as session:
        audit = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == ADMIN)).all()
        others = session.scalars(select(Message).where(Message.from_address != "offers@pills.example")).all()
    assert audit == ["hide"] * 3 and not any(m.hidden for m in others)

    assert post(admin, path, "unhide-sender").status_code == 303
    listing = client.get("/a/comms-network").text
    assert SPAM_SUBJECT in listing and "Zorbulux wholesale" in listing
    assert counts(db, spam_key) == (2, 1)


def test_ticking_several_conversations_hides_them_together(db, settings, clock, archive, admin, client):
    """One-off spammers each open a conversation: the admin list hides a page of them at once."""
    ingest(
        db, settings, clock,
        make_mail("w1@watches.example", subject="Replica watches", date=WHEN.replace(hour=13), to=PUBLIC,
                  sender=("Watch Deals", "deals@watches.example"), body="Cheap watches.\n"),
        make_mail("c1@coins.example", subject="Crypto opportunity", date=WHEN.replace(hour=14), to=PUBLIC,
                  sender=("Coin Desk", "win@coins.example"), body="Double your money.\n"),
    )
    keys = {mid: key for mid, (_, key) in archive.items()}
    with db.reader() as session:
        keys |= dict(session.execute(select(Message.message_id, Thread.key).join(Thread, Thread.id == Message.thread_id)
                                     .where(Message.message_id.in_(["w1@watches.example", "c1@coins.example"]))).all())
    assert "Moderate these conversations" in admin.get("/a/comms-network").text
    assert "Moderate these conversations" not in client.get("/a/comms-network").text
    assert client.get("/admin/comms-network/conversations").status_code == 404

    page = admin.get("/admin/comms-network/conversations?view=single")
    assert "Replica watches" in page.text and "Crypto opportunity" in page.text
    assert " checked>" not in page.text
    ticked = admin.get("/admin/comms-network/conversations?view=single&page=1&tick=all").text
    assert ticked.count(" checked>") == 2 and "Untick every conversation on this page" in ticked
    assert "Social media policy" not in page.text  # answered: not in the "one message only" view
    token = csrf_of(page.text)
    form = {"csrf_token": token, "view": "single", "page": "1", "hidden": "yes"}
    refused = admin.post("/admin/comms-network/conversations/hide", data=form)
    assert refused.status_code == 400 and "Tick at least one conversation" in refused.text

    done = admin.post("/admin/comms-network/conversations/hide",
                      data={**form, "key": [keys["w1@watches.example"], keys["c1@coins.example"]]})
    assert done.status_code == 200 and "Done: hide 2 conversations." in done.text
    assert "Replica watches" not in done.text  # back on the same view, which no longer lists them
    listing = client.get("/a/comms-network").text
    assert "Replica watches" not in listing and "Crypto opportunity" not in listing
    assert SPAM_SUBJECT in listing and "Social media policy" in listing
    with db.reader() as session:
        entries = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == ADMIN)).all()
    assert entries == ["hide", "hide"]

    hidden = admin.get("/admin/comms-network/conversations?view=hidden").text
    assert "Replica watches" in hidden and "Social media policy" not in hidden
    shown = admin.post("/admin/comms-network/conversations/hide",
                       data={**form, "view": "hidden", "hidden": "no", "key": keys["w1@watches.example"]})
    assert "Done: show 1 conversation." in shown.text
    assert "Replica watches" in client.get("/a/comms-network").text

    # A key from elsewhere changes nothing: the whole request is refused.
    other = admin.post("/admin/comms-network/conversations/hide",
                       data={**form, "key": [keys["c1@coins.example"], "aaaaaaaaaaaaaaaa"]})
    assert other.status_code == 400 and "reload the page" in other.text
    assert "Crypto opportunity" in admin.get("/admin/comms-network/conversations?view=hidden").text


def test_hiding_a_last_page_lands_on_the_new_last_page(db, settings, clock, archive, admin, monkeypatch):
    from replyall.web.routes import admin_spam

    monkeypatch.setattr(admin_spam, "PER_PAGE", 1)
    page = admin.get("/admin/comms-network/conversations?page=2")
    assert page.status_code == 200 and "Page 2 of 2" in page.text
    key = re.search(r'name="key" value="([a-z2-7]{16})"', page.text).group(1)
    done = admin.post("/admin/comms-network/conversations/hide",
                      data={"csrf_token": csrf_of(page.text), "key": key, "view": "shown", "page": "2"})
    assert done.status_code == 200 and "Done: hide 1 conversation." in done.text
    assert str(done.url).endswith("view=shown&page=1&done=hide+1+conversation")
    assert admin.get("/admin/comms-network/conversations?page=9", follow_redirects=False).status_code == 303
