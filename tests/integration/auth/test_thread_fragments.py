"""The thread page's cached message fragments (web.fragments): never stale, never another reader's view."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from support.auth import CC_MEMBER, MEMBER, PUBLIC, SECRET, flood_thread, ingest, mail, moderate
from sqlalchemy import select, update

from replyall.db.models import Attachment, Message, Thread

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
FIRST, REPLY = "flood-1@council.gov.uk", "flood-2@nhs-trust.nhs.uk"


@pytest.fixture
def private_thread(db, settings, clock):
    return flood_thread(db, settings, clock, FIRST, REPLY, WHEN)


@pytest.fixture
def public_thread(db, settings, clock):
    ingest(
        db, settings, clock,
        mail("pub-1@council.gov.uk", to=PUBLIC, date=WHEN, body=f"Write to {MEMBER} about the rota.\n"),
        mail("pub-2@nhs-trust.nhs.uk", to=PUBLIC, sender=f"Sam <{CC_MEMBER}>", date=WHEN.replace(hour=10),
             parent="pub-1@council.gov.uk", subject="Re: Flood plan", body="Will do.\n"),
        slug="comms-network",
    )
    with db.reader() as session:
        return {"key": session.scalars(select(Thread.key).join(Message, Message.thread_id == Thread.id)
                                       .where(Message.message_id == "pub-1@council.gov.uk")).one()}


def act(browser, thread, action: str, **data) -> None:
    done = moderate(browser, thread["hash"], action, **data)
    assert done.status_code == 303, done.text


def messages_of(html: str) -> str:
    """The messages part of a thread page (what the fragments make up)."""
    return html[html.index('<h2 class="visually-hidden">Messages</h2>'):html.index("<h2>Similar conversations</h2>")]


def test_a_repeat_view_is_served_from_the_cache_and_is_the_same_page(app, private_thread, member):
    url = f"/t/{private_thread['key']}"
    first = member.get(url).text
    cache = app.state.fragment_cache
    assert len(cache) == 2
    hits = []
    real_get = cache.get

    def counting_get(key):
        found = real_get(key)
        hits.append(found is not None)
        return found

    cache.get = counting_get
    again = member.get(url).text
    assert hits == [True, True]
    assert again == first
    assert SECRET in again and "figures.txt" in again
    # The opener looks the same in both views; the reply is indented in the tree only.
    flat = member.get(url, params={"view": "flat"}).text
    assert hits[2:] == [True, False]
    assert messages_of(flat).count("depth-0") == 2 and messages_of(first).count("depth-1") == 1


def test_hiding_redacting_and_erasing_show_at_once(private_thread, admin, member):
    url = f"/t/{private_thread['key']}"
    for browser in (member, admin):
        assert SECRET in browser.get(url).text
    act(admin, private_thread, "hide")
    for browser in (member, admin):
        page = browser.get(url).text
        assert SECRET not in page and "figures.txt" not in page
        assert "hidden by the archive's moderators" in page
    act(admin, private_thread, "unhide")
    assert SECRET in member.get(url).text
    act(admin, private_thread, "redact", subject="yes")
    page = member.get(url).text
    assert SECRET not in page and "removed by the archive" in page
    act(admin, private_thread, "erase", confirm="yes")
    page = member.get(url).text
    assert private_thread["hash"] not in page and "Thanks, see you Tuesday." in page


def test_any_change_to_a_row_shows_on_the_next_view(db, private_thread, member):
    """Not only the admin actions: a reindex, a repair or a migration that rewrites a column."""
    url = f"/t/{private_thread['key']}"
    assert '<div class="body">Thanks, see you Tuesday.' in member.get(url).text
    reply = private_thread["ids"][REPLY]
    with db.transaction() as session:
        session.execute(update(Message).where(Message.id == reply)
                        .values(body="Thanks, see you Wednesday.\n", thread_reason="repair"))
    page = member.get(url).text
    assert '<div class="body">Thanks, see you Wednesday.' in page
    assert '<div class="body">Thanks, see you Tuesday.' not in page
    assert "Placed here by an administrator" in page
    # An attachment row is part of its message's fragment too.
    with db.transaction() as session:
        session.execute(update(Attachment).where(Attachment.message_id == private_thread["ids"][FIRST])
                        .values(filename="renamed.txt"))
    page = member.get(url).text
    assert "download>renamed.txt</a>" in page and "figures.txt" not in page


def test_anonymous_readers_never_get_a_members_or_admins_fragment(client, private_thread, public_thread, admin, member):
    # private_thread: its mail is what lets the member sign in at all.
    url = f"/t/{public_thread['key']}"
    signed_in = member.get(url).text
    assert MEMBER in signed_in and ">Administer<span" not in signed_in
    as_admin = admin.get(url).text
    assert len(re.findall(r">Administer<span", as_admin)) == 2
    anonymous = client.get(url).text
    assert MEMBER not in anonymous and CC_MEMBER not in anonymous
    assert "jane at council.gov.uk" in anonymous and ">Administer<span" not in anonymous
    # and the other way round: what anonymous readers were shown does not reach a member or an admin
    assert member.get(url).text == signed_in
    assert len(re.findall(r">Administer<span", admin.get(url).text)) == 2
