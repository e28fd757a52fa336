"""The daily summary end to end: real pipeline in, real SMTP sink out, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from digest_helpers import archive_id, deliver, mail
from sqlalchemy import select

from replyall.db.engine import Database
from replyall.db.models import DigestClaim, Message, RawMessage, Subscriber
from replyall.digest import DIGEST_HEADER
from replyall.digest.send import send_day
from replyall.digest.tokens import UNSUBSCRIBE, read_token

DAY = date(2026, 11, 20)
# London is on GMT in November: the window is 19 Nov 07:00Z to 20 Nov 07:00Z.
SEND = datetime(2026, 11, 20, 7, 0, 30, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def post(db, settings, clock, when, *args, **kwargs) -> None:
    clock.set(when)
    deliver(db, settings, clock, mail(*args, when=when, **kwargs))


BOB = (
    "We use Canva Pro for teams, ten seats across the press office and digital. The brand kit keeps "
    "colours and fonts consistent, and templates for social cards save us hours every week. Procurement "
    "went through the G-Cloud framework without trouble. The one weak spot is accessibility: exported PDFs "
    "need fixing up before they go on the website."
)


@pytest.fixture
def storm(db, settings, clock):
    """A week of list traffic around the window of 20 November."""
    # Old question: only a "+1" from someone else, so it is still unanswered.
    post(db, settings, clock, at(16, 10), "q-old@x", "Eve <eve@council.gov.uk>", "Anyone using Brandwatch?", "Is anyone using Brandwatch for social listening?")
    post(db, settings, clock, at(17, 9), "q-old-1@x", "Fay <fay@nhs.uk>", "RE: Anyone using Brandwatch?", "+1", reply_to="q-old@x")
    # Old question with a real answer: not unanswered, and nothing new.
    post(db, settings, clock, at(15, 9), "rota@x", "Gil <gil@police.uk>", "Press office rota", "How do you staff weekends?")
    post(db, settings, clock, at(15, 11), "rota-1@x", "Hal <hal@fire.gov.uk>", "RE: Press office rota", "We run a one-in-four on-call rota with a lieu day.", reply_to="rota@x")
    # Thread started before the window, answered inside it.
    post(db, settings, clock, at(18, 12), "kit@x", "Jo <jo@council.gov.uk>", "Winter comms toolkit <draft> & notes", "Does anyone have a winter toolkit to share?")
    post(db, settings, clock, at(19, 15), "kit-1@x", "Kim <kim@nhs.uk>", "RE: Winter comms toolkit <draft> & notes", "Ours is on the shared drive; I have sent you the link.", reply_to="kit@x")
    # New thread inside the window: question, real answer, two acknowledgements, an auto-reply.
    post(db, settings, clock, at(19, 9), "canva@x", "Ann Smith <ann@council.gov.uk>", "Who uses Canva?", "Does anyone use Canva for social graphics?")
    post(db, settings, clock, at(19, 10), "canva-1@x", "Bob Jones <bob@nhs.uk>", "RE: Who uses Canva?", BOB, reply_to="canva@x")
    post(db, settings, clock, at(19, 11), "canva-2@x", "Cy <cy@police.uk>", "RE: Who uses Canva?", "+1\n\nThanks, Cy", reply_to="canva@x")
    post(db, settings, clock, at(19, 12), "canva-3@x", "Dee <dee@fire.gov.uk>", "Automatic reply: Who uses Canva?",
         "I am out of the office until Monday.", reply_to="canva@x", headers={"Auto-Submitted": "auto-replied"})
    post(db, settings, clock, at(19, 13), "canva-4@x", "Ed <ed@council.gov.uk>", "RE: Who uses Canva?", "Thank you!", reply_to="canva@x")
    # After the send time: belongs to tomorrow's summary.
    post(db, settings, clock, at(20, 8), "kit-2@x", "Lee <lee@police.uk>", "RE: Winter comms toolkit <draft> & notes", "Late news from Lee.", reply_to="kit@x")
    clock.set(SEND)


def subscribe(db, clock, *addresses: str, slug: str = "comms-network") -> None:
    aid = archive_id(db, slug)
    with db.transaction() as session:
        for address in addresses:
            session.add(Subscriber(
                archive_id=aid, address=address, status="active", nonce="n", source="web",
                created_at=clock.now() - timedelta(days=2), confirmed_at=clock.now() - timedelta(days=2),
            ))


def claims(db) -> list[DigestClaim]:
    with db.reader() as session:
        return list(session.scalars(select(DigestClaim).order_by(DigestClaim.id)))


def test_summary_content_headers_and_parts(db, settings, clock, sink, storm):
    subscribe(db, clock, "reader@example.gov.uk", "other@example.gov.uk")
    report = asyncio.run(send_day(db, settings, clock, "comms-network", DAY))
    assert (report.sent, report.already, report.bounced, report.deferred) == (2, 0, 0, 0)
    assert sorted(r.rcpt_tos[0] for r in sink.received) == ["other@example.gov.uk", "reader@example.gov.uk"]

    got = sink.to("reader@example.gov.uk")[0]
    msg = got.message
    assert got.mail_from == "summary@archive.example.org"
    assert msg["List-Id"] == "Comms network daily summary <comms-network.digest.archive.example.org>"
    unsubscribe, mailto = [v.strip().strip("<>") for v in msg["List-Unsubscribe"].split(",")]
    assert unsubscribe.startswith("http://archive.test/a/comms-network/digest/unsubscribe?token=")
    assert mailto == "mailto:comms-network+unsubscribe@archive.example.org?subject=unsubscribe"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Precedence"] == "bulk"
    assert msg[DIGEST_HEADER] == "comms-network"
    assert msg["Message-ID"].startswith("<digest.comms-network.2026-11-20.") and msg["Message-ID"].endswith("@archive.example.org>")
    assert msg["Subject"] == "[Comms network] Daily summary for Fri 20 Nov 2026: 5 new messages in 2 conversations"
    assert msg.get_content_type() == "multipart/alternative"
    token = unsubscribe.split("token=")[1]
    assert read_token(settings, clock, UNSUBSCRIBE, token).address == "reader@example.gov.uk"
    other_token = sink.to("other@example.gov.uk")[0].message["List-Unsubscribe"].split("token=")[1].split(">")[0]
    assert read_token(settings, clock, UNSUBSCRIBE, other_token).address == "other@example.gov.uk"

    text, html = got.part("plain"), got.part("html")
    for part in (text, html):
        # Most active first: Canva (4 new) before the toolkit (1 new).
        assert part.index("Who uses Canva?") < part.index("Winter comms toolkit")
        assert "Ann Smith, Bob Jones, Cy and Ed" in part
        assert "We use Canva Pro for teams" in part
        assert "Ours is on the shared drive" in part
        assert "2 short replies" in part and "from Cy and Ed" in part
        assert "out of the office" not in part and "Dee" not in part  # auto-reply left out
        assert "Thanks, Cy" not in part and "Thank you!" not in part  # counted, not quoted
        assert "Late news from Lee" not in part  # after the send time
        assert "Still unanswered" in part and "Anyone using Brandwatch?" in part and "asked by Eve" in part
        assert "Press office rota" not in part
        assert "http://archive.test/t/" in part
    assert "[NEW] Who uses Canva?" in text and "[NEW] Winter" not in text
    assert ">NEW</span>" in html
    # The excerpt is cut at a word boundary near 300 characters.
    line = next(p for p in html.split("<br>") if "We use Canva Pro" in p or "G-Cloud" in p)
    quoted = " ".join(text.split("Bob Jones (Thu 10:00):")[1].split("\n\n")[0].split())
    assert quoted.endswith("…") and len(quoted) <= 301 and BOB.startswith(quoted[:-1])
    assert BOB[len(quoted) - 1] == " "
    # HTML is escaped; the text part is not.
    assert "Winter comms toolkit &lt;draft&gt; &amp; notes" in html and "<draft>" not in html
    assert "Winter comms toolkit <draft> & notes" in text
    assert line  # sanity: the excerpt is in the HTML too
    assert " style=" in html and "<table" in html and "<style" not in html and "class=" not in html

    # A restart (or cron next to serve) sends nothing twice.
    again = asyncio.run(send_day(db, settings, clock, "comms-network", DAY))
    assert (again.sent, again.already) == (0, 2)
    assert len(sink.received) == 2
    assert [c.status for c in claims(db)] == ["sent", "sent"]


def test_nothing_sent_on_an_empty_day(db, settings, clock, sink, storm):
    subscribe(db, clock, "reader@example.gov.uk")
    clock.set(datetime(2026, 11, 23, 7, 5, tzinfo=UTC))
    report = asyncio.run(send_day(db, settings, clock, "comms-network", date(2026, 11, 23)))
    assert report.empty and report.sent == 0
    assert sink.received == [] and claims(db) == []


def test_empty_day_sent_when_configured(db, settings_factory, settings, clock, sink, storm):
    subscribe(db, clock, "reader@example.gov.uk")
    clock.set(datetime(2026, 11, 23, 7, 5, tzinfo=UTC))
    always = settings_factory(settings.database.url, relay=settings.relay.model_dump(), digest={"skip_empty": False})
    report = asyncio.run(send_day(db, always, clock, "comms-network", date(2026, 11, 23)))
    assert report.sent == 1
    assert "No new messages in this period." in sink.received[0].part("plain")


def test_4xx_is_retried_with_backoff_then_delivered(db, settings, clock, sink, storm):
    subscribe(db, clock, "busy@example.gov.uk")
    sink.handler.script["busy@example.gov.uk"] = ["451 4.3.0 Try again later", "452 4.2.2 Mailbox full for now"]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    report = asyncio.run(send_day(db, settings, clock, "comms-network", DAY, sleep=fake_sleep))
    assert report.sent == 1 and slept == [5.0, 20.0]
    assert sink.handler.rcpt_attempts["busy@example.gov.uk"] == 3
    assert len(sink.to("busy@example.gov.uk")) == 1
    assert [(c.status, c.sent_at is not None) for c in claims(db)] == [("sent", True)]


def test_4xx_every_time_defers_and_a_later_run_delivers(db, settings, clock, sink, storm):
    subscribe(db, clock, "busy@example.gov.uk")
    sink.handler.script["busy@example.gov.uk"] = ["451 4.3.0 Try again later"] * 4

    async def no_sleep(seconds: float) -> None:
        return None

    first = asyncio.run(send_day(db, settings, clock, "comms-network", DAY, sleep=no_sleep))
    assert (first.sent, first.deferred) == (0, 1)
    assert [(c.status, c.attempts) for c in claims(db)] == [("deferred", 1)]
    second = asyncio.run(send_day(db, settings, clock, "comms-network", DAY, sleep=no_sleep))
    assert second.sent == 1
    assert [(c.status, c.attempts) for c in claims(db)] == [("sent", 2)]
    assert len(sink.to("busy@example.gov.uk")) == 1


def test_5xx_marks_the_subscriber_bouncing(db, settings, clock, sink, storm):
    subscribe(db, clock, "gone@example.gov.uk", "reader@example.gov.uk")
    sink.handler.script["gone@example.gov.uk"] = ["550 5.1.1 No such user"]
    report = asyncio.run(send_day(db, settings, clock, "comms-network", DAY))
    assert (report.sent, report.bounced) == (1, 1)
    assert [r.rcpt_tos for r in sink.received] == [["reader@example.gov.uk"]]
    with db.reader() as session:
        gone = session.scalars(select(Subscriber).where(Subscriber.address == "gone@example.gov.uk")).one()
        assert gone.status == "bouncing" and gone.bounced_at == clock.now()
        assert "550" in gone.last_error
    assert sorted(c.status for c in claims(db)) == ["bounced", "sent"]
    # The next day's summary skips the bouncing address.
    post(db, settings, clock, at(20, 9), "kit-3@x", "Kim <kim@nhs.uk>", "RE: Winter comms toolkit <draft> & notes", "One more thing.", reply_to="kit@x")
    clock.set(datetime(2026, 11, 21, 7, 1, tzinfo=UTC))
    asyncio.run(send_day(db, settings, clock, "comms-network", date(2026, 11, 21)))
    assert sink.handler.rcpt_attempts["gone@example.gov.uk"] == 1
    assert len(sink.to("reader@example.gov.uk")) == 2


def test_relay_auth_is_used(db, settings_factory, settings, clock, storm):
    from support.relay import Sink

    secured = Sink(credentials=("digest-user", "s3cret-pass"))
    try:
        relay = {**settings.relay.model_dump(), "port": secured.port, "username": "digest-user", "password": "s3cret-pass"}
        authed = settings_factory(settings.database.url, relay=relay)
        subscribe(db, clock, "reader@example.gov.uk")
        report = asyncio.run(send_day(db, authed, clock, "comms-network", DAY))
        assert report.sent == 1 and secured.handler.auth_logins == ["digest-user"]
        assert len(secured.received) == 1
    finally:
        secured.close()


def test_exactly_once_with_two_senders_racing(db, settings, clock, sink, storm):
    addresses = [f"reader{i}@example.gov.uk" for i in range(8)]
    subscribe(db, clock, *addresses)
    # Two instances: each its own engine and pool, as two processes would have.
    instances = [Database.from_url(settings.database.url) for _ in range(2)]
    barrier = threading.Barrier(2)
    reports = []

    def run(instance: Database) -> None:
        barrier.wait()
        reports.append(asyncio.run(send_day(instance, settings, clock, "comms-network", DAY)))

    threads = [threading.Thread(target=run, args=(i,)) for i in instances]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for instance in instances:
            instance.close()
    assert len(reports) == 2
    assert sum(r.sent for r in reports) == 8 and sum(r.already for r in reports) == 8
    assert sorted(r.rcpt_tos[0] for r in sink.received) == sorted(addresses)
    assert [c.status for c in claims(db)] == ["sent"] * 8


def test_summary_coming_back_to_the_archive_is_not_archived(db, settings, clock, sink, storm):
    subscribe(db, clock, "reader@example.gov.uk")
    asyncio.run(send_day(db, settings, clock, "comms-network", DAY))
    summary = sink.received[0]
    # A subscriber's forwarding rule redirects it to the list address, headers intact.
    deliver(db, settings, clock, summary.data)
    mid = summary.message["Message-ID"].strip("<>")
    with db.reader() as session:
        raw = session.scalars(select(RawMessage).where(RawMessage.message_id == mid)).one()
        assert raw.status == "discarded" and "summary" in raw.error
        assert session.scalars(select(Message).where(Message.message_id == mid)).first() is None


def test_starttls_and_auth_to_the_relay(db, settings_factory, settings, clock, storm, tmp_path, monkeypatch):
    import ssl
    import subprocess

    from support.relay import Sink

    # A throwaway certificate for 127.0.0.1, trusted through SSL_CERT_FILE as a
    # private CA bundle would be in production.
    cert, key = tmp_path / "relay.pem", tmp_path / "relay.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    secured = Sink(credentials=("digest-user", "s3cret-pass"), tls_context=server_context)
    try:
        relay = {**settings.relay.model_dump(), "port": secured.port, "username": "digest-user",
                 "password": "s3cret-pass", "starttls": True}
        subscribe(db, clock, "reader@example.gov.uk")
        report = asyncio.run(send_day(db, settings_factory(settings.database.url, relay=relay), clock, "comms-network", DAY))
        assert report.sent == 1 and secured.handler.auth_logins == ["digest-user"]
        assert secured.handler.tls_used and len(secured.received) == 1
    finally:
        secured.close()


def test_members_only_summary_goes_only_to_current_readers(db, settings, clock, sink):
    when = datetime(2026, 11, 19, 12, tzinfo=UTC)
    clock.set(when)
    # Ann and Bob are on the private list's mail, so they may read it.
    deliver(db, settings, clock, mail("p1@x", "Ann <ann@council.gov.uk>", "Private matter", "For members only.", when=when,
                                      to="private@archive.example.org, bob@nhs.uk"), slug="private-list")
    clock.set(SEND)
    subscribe(db, clock, "ann@council.gov.uk", "bob@nhs.uk", "stranger@example.com", slug="private-list")
    report = asyncio.run(send_day(db, settings, clock, "private-list", DAY))
    assert report.sent == 2
    assert sorted(r.rcpt_tos[0] for r in sink.received) == ["ann@council.gov.uk", "bob@nhs.uk"]
    # Addresses are not hidden from members.
    assert "For members only." in sink.received[0].part("plain")


def test_near_duplicate_copies_are_not_counted_twice(db, settings, clock):
    from sqlalchemy import update

    from replyall.digest import queries

    when = datetime(2026, 11, 19, 12, tzinfo=UTC)
    clock.set(when)
    deliver(db, settings, clock, mail("orig@x", "Ann <ann@council.gov.uk>", "Copies", "Same words.", when=when))
    deliver(db, settings, clock, mail("other@x", "Bob <bob@nhs.uk>", "Re: Copies", "A real answer.", when=when, reply_to="orig@x"))
    with db.transaction() as session:
        original = session.scalars(select(Message).where(Message.message_id == "orig@x")).one()
        # What the dedupe step records for a copy re-sent under a new Message-ID.
        session.execute(update(Message).where(Message.message_id == "other@x").values(duplicate_of_id=original.id))
    with db.reader() as session:
        digest = queries.digest_for(session, settings, "comms-network", DAY)
    assert [(t.subject, t.new_count) for t in digest.threads] == [("Copies", 1)]
