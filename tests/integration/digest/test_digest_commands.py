"""SLUG+subscribe@ and SLUG+unsubscribe@ through the real SMTP listener: commands, answered by mail, never archived."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime

import pytest
from digest_helpers import LiveIntake, archive_id, mail
from sqlalchemy import select

from replyall.db.models import RawMessage, Subscriber
from replyall.digest.commands import command_of, resolve_command
from replyall.pipeline.runner import drain

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def intake(settings, db, clock):
    server = LiveIntake(settings, db, clock)
    yield server
    server.close()


def rows(db, model, **where):
    with db.reader() as session:
        return list(session.scalars(select(model).filter_by(**where)))


def command_mail(to: str, sender: str = "Rea Der <reader@example.gov.uk>", **headers) -> bytes:
    return mail("cmd-1@example.gov.uk", sender, "subscribe", "", when=WHEN, to=to, headers=headers or None)


def test_resolve_command_forms(settings):
    assert resolve_command(settings, "comms-network+subscribe@archive.example.org") == ("comms-network", "subscribe")
    assert resolve_command(settings, "Comms-Network+Unsubscribe@Archive.Example.org") == ("comms-network", "unsubscribe")
    # The slug form works where the archive's address has another local part.
    assert resolve_command(settings, "private-list+subscribe@archive.example.org") == ("private-list", "subscribe")
    assert resolve_command(settings, "private+leave@archive.example.org") == ("private-list", "unsubscribe")
    assert resolve_command(settings, "comms-network+subscribe@elsewhere.example.org") is None
    assert resolve_command(settings, "comms-network+minutes@archive.example.org") is None
    assert command_of("join") == "subscribe" and command_of(None) is None


def test_subscribe_by_mail_sends_a_confirmation_and_archives_nothing(intake, db, sink):
    refused = intake.send(command_mail("comms-network+subscribe@archive.example.org"), ["comms-network+subscribe@archive.example.org"])
    assert refused == {}
    assert rows(db, RawMessage) == []
    [row] = rows(db, Subscriber)
    assert (row.address, row.status, row.source) == ("reader@example.gov.uk", "pending", "mail")
    [reply] = sink.to("reader@example.gov.uk")
    assert reply.message["Subject"] == "Confirm your daily summary of Comms network"
    assert reply.message["Auto-Submitted"] == "auto-replied"
    assert "/a/comms-network/digest/confirm?token=" in reply.part("plain")


def test_unsubscribe_by_mail(intake, db, sink, clock):
    with db.transaction() as session:
        session.add(Subscriber(archive_id=archive_id(db), address="reader@example.gov.uk", status="active", nonce="n",
                               created_at=clock.now(), confirmed_at=clock.now()))
    to = "comms-network+unsubscribe@archive.example.org"
    intake.send(command_mail(to), [to])
    [row] = rows(db, Subscriber)
    assert row.status == "unsubscribed" and row.unsubscribed_at == clock.now()
    [reply] = sink.to("reader@example.gov.uk")
    assert reply.message["Subject"].startswith("You will no longer receive")
    assert reply.message["Auto-Submitted"] == "auto-replied"
    assert rows(db, RawMessage) == []
    # Asking again: told it was not subscribed, nothing else changes.
    intake.send(command_mail(to), [to])
    assert sink.to("reader@example.gov.uk")[-1].message["Subject"].startswith("You were not subscribed")


def test_automatic_mail_to_a_command_address_gets_no_answer(intake, db, sink):
    to = "comms-network+subscribe@archive.example.org"
    intake.send(command_mail(to, **{"Auto-Submitted": "auto-replied"}), [to])
    intake.send(command_mail(to), [to], sender="")  # a bounce: null reverse-path
    assert rows(db, Subscriber) == [] and sink.received == []


def test_members_only_archive_ignores_strangers(intake, db, sink):
    to = "private-list+subscribe@archive.example.org"
    assert intake.send(command_mail(to), [to]) == {}
    assert rows(db, Subscriber) == [] and sink.received == []


def test_command_and_archive_on_one_envelope(intake, db, sink, settings, clock):
    data = mail("both@example.gov.uk", "Rea Der <reader@example.gov.uk>", "Hello", "A real message.", when=WHEN)
    intake.send(data, ["comms-network@archive.example.org", "comms-network+subscribe@archive.example.org"])
    [raw] = rows(db, RawMessage)
    assert raw.envelope_to == ["comms-network@archive.example.org"]
    assert [s.status for s in rows(db, Subscriber)] == ["pending"]
    assert drain(db, settings, clock)["done"] == 1


def test_unknown_command_addresses_are_refused(intake):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
        intake.send(command_mail("x"), ["nobody+subscribe@archive.example.org"])
    assert exc.value.recipients["nobody+subscribe@archive.example.org"][0] == 550
