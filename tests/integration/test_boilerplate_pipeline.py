"""Learned boilerplate through the real pipeline: raw message in, cleaned rows out, sightings in the database."""

from __future__ import annotations

from sqlalchemy import func, select

from replyall.db.boilerplate import DbBoilerplateStore, learned_blocks
from replyall.db.models import Archive, BoilerplateSighting, Message
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain

# A council footer no built-in pattern knows: only the learner can find it.
FOOTER = (
    "Northshire County Council, County Hall, Market Street, Northshire NS1 1AA.\n"
    "Working together for a stronger Northshire - www.northshire.example.gov.uk"
)
ANN_SIGNATURE = "Ann Example\nHead of Communications\nNorthshire County Council"


def _mail(n: int, sender: str, body: str, subject: str = "Winter campaign") -> bytes:
    return (
        f"From: {sender.split('@')[0].title()} <{sender}>\r\nTo: comms-network@archive.example.org\r\n"
        f"Message-ID: <bp{n}@example.gov.uk>\r\nSubject: {subject}\r\n"
        f"Date: Mon, 16 Nov 2026 10:{n:02d}:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + body.replace("\n", "\r\n")
        + "\r\n"
    ).encode()


def _archive_id(db) -> int:
    with db.reader() as session:
        return session.scalar(select(Archive.id).where(Archive.slug == "comms-network"))


def _ingest(db, settings, clock, *mails: bytes) -> None:
    archive_id = _archive_id(db)
    for data in mails:
        with db.transaction() as session:
            store_raw(session, archive_id, data, clock=clock, source="smtp")
        assert drain(db, settings, clock) == {"done": 1}


def _message(db, n: int) -> Message:
    with db.reader() as session:
        return session.scalars(select(Message).where(Message.message_id == f"bp{n}@example.gov.uk")).one()


def test_footer_from_two_senders_of_a_domain_is_disclaimer_for_the_next(db, settings, clock):
    _ingest(
        db, settings, clock,
        _mail(1, "ann@northshire.gov.uk", f"We can share the toolkit with everyone.\n\n{FOOTER}"),
        _mail(2, "bob@northshire.gov.uk", f"Agreed, the toolkit is ready to go out.\n\n{FOOTER}"),
    )
    # Nothing was known when the first two arrived: their footers are not disclaimer
    # (the signature rules take them for the sender's contact block).
    first = _message(db, 1)
    assert first.disclaimer == "" and FOOTER.splitlines()[0] in first.body + first.signature
    assert _message(db, 2).disclaimer == ""

    _ingest(db, settings, clock, _mail(3, "carol@northshire.gov.uk", f"Can we add the flu dates first?\n\n{FOOTER}"))
    third = _message(db, 3)
    assert third.disclaimer == FOOTER
    assert third.body == "Can we add the flu dates first?"

    with db.reader() as session:
        scope = "domain:northshire.gov.uk"
        store = DbBoilerplateStore(session, _archive_id(db), clock)
        senders = set(session.scalars(select(BoilerplateSighting.sender).where(BoilerplateSighting.scope == scope)))
        assert {"ann@northshire.gov.uk", "bob@northshire.gov.uk", "carol@northshire.gov.uk"} <= senders
        learned = learned_blocks(session, _archive_id(db), min_senders=3)
    assert (scope, FOOTER, 3) in learned
    assert ("*", FOOTER, 3) in learned
    assert store.sender_count(scope, "0" * 40) == 0


def test_one_senders_repeated_signature_is_not_a_domain_disclaimer(db, settings, clock):
    bodies = [
        "The press release goes out at nine.",
        "Here are the final figures for the briefing.",
        "Thanks all, that is everything from me today.",
        "One more thing: the venue has changed.",
    ]
    _ingest(
        db, settings, clock,
        *[_mail(10 + i, "ann@northshire.gov.uk", f"{text}\n\n{ANN_SIGNATURE}") for i, text in enumerate(bodies)],
    )
    last = _message(db, 13)
    assert last.disclaimer == ""
    assert last.body.startswith("One more thing")
    assert "Head of Communications" in last.body + "\n" + last.signature
    # A colleague from the same domain is not affected by Ann's habit either.
    _ingest(db, settings, clock, _mail(20, "bob@northshire.gov.uk", f"Noted, thank you.\n\n{ANN_SIGNATURE}"))
    assert _message(db, 20).disclaimer == ""
    with db.reader() as session:
        counts = session.execute(
            select(BoilerplateSighting.scope, func.count())
            .where(BoilerplateSighting.sender == "ann@northshire.gov.uk")
            .group_by(BoilerplateSighting.scope)
        ).all()
    # Recorded once per block however often Ann repeats it.
    assert dict(counts)["domain:northshire.gov.uk"] == dict(counts)["*"]


def test_a_failed_message_teaches_nothing(db, settings, clock, monkeypatch):
    from replyall.pipeline import runner

    def broken(ctx):
        raise ValueError("threading blew up")

    monkeypatch.setattr(runner, "STEPS", tuple((n, broken if n == "thread" else f) for n, f in runner.STEPS))
    with db.transaction() as session:
        store_raw(session, _archive_id(db), _mail(30, "ann@northshire.gov.uk", f"Hello all.\n\n{FOOTER}"), clock=clock, source="smtp")
    assert drain(db, settings, clock) == {"failed": 1}
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(BoilerplateSighting)) == 0


def test_clean_command_with_archive_shows_what_the_pipeline_learned(db, settings, clock):
    import json

    from click.testing import CliRunner

    from replyall.cli.clean import clean
    from replyall.cli.common import AppContext

    _ingest(
        db, settings, clock,
        _mail(40, "ann@northshire.gov.uk", f"First point.\n\n{FOOTER}"),
        _mail(41, "bob@northshire.gov.uk", f"Second point.\n\n{FOOTER}"),
    )
    body = f"Third point, please.\n\n{FOOTER}\n"
    app = AppContext(None, _settings=settings)
    plain = CliRunner().invoke(clean, ["--json", "--from", "dan@northshire.gov.uk", "-"], input=body, obj=app)
    assert json.loads(plain.output)["disclaimer"] == ""  # nothing learned without the archive
    learned = CliRunner().invoke(
        clean, ["--json", "--from", "dan@northshire.gov.uk", "--archive", "comms-network", "-"], input=body, obj=app
    )
    assert learned.exit_code == 0, learned.output
    assert json.loads(learned.output)["disclaimer"] == FOOTER
    missing = CliRunner().invoke(clean, ["--archive", "nope", "-"], input=body, obj=app)
    assert missing.exit_code != 0 and "no archive 'nope'" in missing.output
