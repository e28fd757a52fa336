"""`replyall reindex`: older messages get newly learned boilerplate, search follows, redactions stay."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import delete, select
from support.web import outlook_mail

from replyall.cli import cli
from replyall.cli.common import AppContext
from replyall.cli.reindex import reindex
from replyall.db.models import Archive, BoilerplateSighting, Message
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain
from replyall.search import search

FOOTER = (
    "Westvale Borough Council, The Civic Centre, Westvale WV2 3BB.\n"
    "Proud to serve Westvale - follow us for service updates and roadworks news"
)


def _mail(n: int, sender: str, body: str) -> bytes:
    return (
        f"From: <{sender}>\r\nTo: comms-network@archive.example.org\r\nMessage-ID: <rx{n}@example.gov.uk>\r\n"
        f"Subject: Gritting rota {n}\r\nDate: Tue, 17 Nov 2026 09:{n:02d}:00 +0000\r\n\r\n"
        + body.replace("\n", "\r\n") + "\r\n"
    ).encode()


def _load(db, settings, clock, slug: str, mails: list[bytes]) -> None:
    with db.transaction() as session:
        archive_id = session.scalar(select(Archive.id).where(Archive.slug == slug))
        for data in mails:
            store_raw(session, archive_id, data, clock=clock, source="import")
    drain(db, settings, clock)


def _run(settings, clock, *args: str):
    app = AppContext(None, _settings=settings)
    app.clock = clock
    return CliRunner().invoke(reindex, list(args), obj=app, catch_exceptions=False)


def _by_mid(session, n: int) -> Message:
    return session.scalars(select(Message).where(Message.message_id == f"rx{n}@example.gov.uk")).one()


def _hits(db, words: str) -> int:
    with db.reader() as session:
        return search(session, words, archive_ids=None).total


def test_reindex_applies_boilerplate_learned_later_and_refreshes_search(db, settings, clock):
    mails = [
        _mail(1, "ann@westvale.gov.uk", f"The rota for December is attached.\n\n{FOOTER}"),
        _mail(2, "bob@westvale.gov.uk", f"Depot two is short of salt this week.\n\n{FOOTER}"),
        _mail(3, "cat@westvale.gov.uk", f"I can cover the weekend shift.\n\n{FOOTER}"),
    ]
    _load(db, settings, clock, "comms-network", mails)
    # Something else, in another archive, that must not be touched by --archive.
    _load(db, settings, clock, "private-list", [_mail(9, "dan@westvale.gov.uk", f"Private note.\n\n{FOOTER}")])
    with db.transaction() as session:
        first = _by_mid(session, 1)
        assert "Civic Centre" in first.body and first.disclaimer == ""
        # A message the administrators redacted keeps its redaction.
        second = _by_mid(session, 2)
        second.redacted, second.body = True, ""
    assert _hits(db, "roadworks") >= 1  # the footer was searchable as if the author wrote it

    result = _run(settings, clock, "--archive", "comms-network", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "comms-network: 3 messages, 1 changed, 1 redacted left alone, 0 failed" in result.output

    with db.reader() as session:
        first = _by_mid(session, 1)
        assert first.body == "The rota for December is attached."
        assert first.disclaimer == FOOTER
        assert _by_mid(session, 2).body == "" and _by_mid(session, 2).disclaimer == ""
        assert _by_mid(session, 3).disclaimer == FOOTER
        assert "Civic Centre" in _by_mid(session, 9).body  # other archive: not reindexed
    # Footer text leaves the search index of the reindexed archive; the author's text stays.
    with db.reader() as session:
        comms = session.scalar(select(Archive.id).where(Archive.slug == "comms-network"))
        assert search(session, "roadworks", archive_ids=[comms]).total == 0
        assert search(session, "December rota", archive_ids=[comms]).total == 1


def test_reindex_learns_from_messages_archived_before_the_learner(db, settings, clock):
    # As after upgrading to migration 0006: messages archived, nothing learned yet.
    mails = [_mail(20 + i, f"{who}@westvale.gov.uk", f"Reply number {i} about gritting.\n\n{FOOTER}") for i, who in enumerate(["ann", "bob"])]
    _load(db, settings, clock, "comms-network", mails)
    with db.transaction() as session:
        session.execute(delete(BoilerplateSighting))
    assert _run(settings, clock, "--no-learn").exit_code == 0
    with db.reader() as session:
        assert _by_mid(session, 20).disclaimer == ""  # nothing learned, nothing to apply
    result = _run(settings, clock)
    assert result.exit_code == 0 and "0 failed" in result.output
    with db.reader() as session:
        assert _by_mid(session, 20).disclaimer == FOOTER and _by_mid(session, 21).disclaimer == FOOTER
        assert _by_mid(session, 20).body == "Reply number 0 about gritting."
    # Idempotent: a second run changes nothing.
    assert "2 messages, 0 changed" in _run(settings, clock).output


def test_reindex_is_a_registered_command_and_refuses_unknown_archives(db, settings, clock):
    assert "reindex" in cli.commands
    result = CliRunner().invoke(reindex, ["--archive", "nope"], obj=AppContext(None, _settings=settings))
    assert result.exit_code != 0 and "no archive nope" in result.output


def test_reindex_brings_back_the_pictures_pasted_into_messages_archived_before_their_marks(db, settings, clock):
    _load(db, settings, clock, "comms-network", [outlook_mail(
        "px1@council.gov.uk", subject="Winter posts", date=datetime(2026, 11, 17, 9, 0, tzinfo=UTC),
        body="Ours looked like this:", pasted=1)])
    with db.transaction() as session:
        # As archived before pictures left marks in the text: no mark, nothing shared.
        message = session.scalars(select(Message).where(Message.message_id == "px1@council.gov.uk")).one()
        message.body, message.has_attachments = "Ours looked like this:", False
    assert _hits(db, "has:attachment") == 0
    result = _run(settings, clock)
    assert result.exit_code == 0 and "1 changed" in result.output, result.output
    with db.reader() as session:
        message = session.scalars(select(Message).where(Message.message_id == "px1@council.gov.uk")).one()
        assert message.body == "Ours looked like this:\n\n[image: screenshot1.png]" and message.has_attachments
    assert _hits(db, "has:attachment") == 1 and _hits(db, "screenshot1") == 1
