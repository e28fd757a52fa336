"""SMTP intake against a real listener: what we accept is on disk before the 250, byte for byte."""

from __future__ import annotations

import smtplib

import pytest
from support.intake import make_message, raw_rows

from replyall.db.models import Message, RawMessage
from replyall.mail.headers import derive_message_id


def test_ehlo_advertises_extensions(live):
    with live.client() as client:
        code, _ = client.ehlo("client.test")
        assert code == 250
        for extension in ("size", "8bitmime", "smtputf8", "pipelining", "enhancedstatuscodes"):
            assert client.has_extn(extension), extension
        assert client.esmtp_features["size"] == str(live.settings.smtp.max_message_size)
        assert not client.has_extn("auth")
        assert not client.has_extn("starttls")  # no certificate configured


def test_accepted_message_is_stored_before_250(live, db):
    data = make_message("<stored-before-250@council.test>")
    with live.client() as client:
        client.mail("alice@council.test")
        client.rcpt("comms-network@archive.example.org")
        code, reply = client.data(data)
        assert code == 250 and reply.startswith(b"2.0.0")
        # Read from another connection right after the 250: the row must already be committed.
        rows = raw_rows(db)
    assert len(rows) == 1
    row = rows[0]
    assert row.raw == data
    assert row.message_id == "stored-before-250@council.test"
    assert row.source == "smtp" and row.status == "pending"
    assert row.envelope_from == "alice@council.test"
    assert row.envelope_to == ["comms-network@archive.example.org"]
    assert row.peer == "127.0.0.1"
    assert row.received_at == live.clock.now()
    assert str(row.id).encode() in reply


def test_unknown_recipient_550_and_never_relayed(live, db):
    with live.client() as client:
        client.mail("alice@council.test")
        for address in ("nobody@archive.example.org", "comms-network@elsewhere.test", "postmaster@gmail.test"):
            code, reply = client.rcpt(address)
            assert (code, reply[:5]) == (550, b"5.1.1")
        client.rset()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("alice@council.test", ["someone@relay.test"], make_message())
    assert raw_rows(db) == []


def test_recipient_domain_case_and_plus_addressing(live, db):
    live.send(make_message("<case@x>"), to=["Comms-Network@ARCHIVE.Example.ORG"])
    live.send(make_message("<plus@x>"), to=["comms-network+storm-42@archive.example.org"])
    rows = raw_rows(db, "comms-network")
    assert [r.message_id for r in rows] == ["case@x", "plus@x"]


def test_plus_addressing_can_be_disabled(live_factory, settings_factory, settings):
    server = live_factory(settings_factory(settings.database.url, smtp={"plus_addressing": False}))
    with server.client() as client:
        client.mail("alice@council.test")
        assert client.rcpt("comms-network+tag@archive.example.org")[0] == 550
        assert client.rcpt("comms-network@archive.example.org")[0] == 250


def test_two_addresses_of_two_archives_store_one_copy_each(live, db):
    data = make_message("<two-archives@council.test>")
    live.send(data, to=["comms-network@archive.example.org", "private@archive.example.org",
                        "private-alias@archive.example.org"])
    public, private = raw_rows(db, "comms-network"), raw_rows(db, "private-list")
    assert len(public) == 1 and len(private) == 1
    assert private[0].envelope_to == ["private@archive.example.org", "private-alias@archive.example.org"]
    assert private[0].delivery_count == 1 and public[0].raw == private[0].raw == data


def test_oversize_message_552_while_receiving(live_factory, settings_factory, settings, db):
    server = live_factory(settings_factory(settings.database.url, smtp={"max_message_size": 4096}))
    big = make_message("<big@council.test>", body="x" * 70 + "\r\n") + b"y" * 76 * 1000 + b"\r\n"
    with server.client() as client:
        client.mail("alice@council.test")
        client.rcpt("comms-network@archive.example.org")
        code, reply = client.data(big)
        assert (code, reply[:5]) == (552, b"5.3.4")
        # The session goes on: the next, smaller message is taken.
        code, _ = client.sendmail("alice@council.test", ["comms-network@archive.example.org"],
                                  make_message("<small@council.test>")) or (250, b"")
    assert [r.message_id for r in raw_rows(db)] == ["small@council.test"]


def test_declared_size_too_large_552_at_mail_from(live_factory, settings_factory, settings):
    server = live_factory(settings_factory(settings.database.url, smtp={"max_message_size": 4096}))
    with server.client() as client:
        code, reply = client.mail("alice@council.test", ["SIZE=5000"])
        assert (code, reply[:5]) == (552, b"5.3.4")


def test_message_exactly_at_the_limit_is_accepted(live_factory, settings_factory, settings, db):
    server = live_factory(settings_factory(settings.database.url, smtp={"max_message_size": 4096}))
    head = make_message("<exact@council.test>", body="")
    data = head + b"z" * (4096 - len(head) - 2) + b"\r\n"
    assert len(data) == 4096
    server.send(data)
    assert raw_rows(db)[0].raw == data


def test_too_many_recipients_452(live_factory, settings_factory, settings, db):
    server = live_factory(settings_factory(settings.database.url, smtp={"max_recipients": 2}))
    with server.client() as client:
        client.mail("alice@council.test")
        assert client.rcpt("comms-network@archive.example.org")[0] == 250
        assert client.rcpt("private@archive.example.org")[0] == 250
        code, reply = client.rcpt("private-alias@archive.example.org")
        assert (code, reply[:5]) == (452, b"4.5.3")
        assert client.data(make_message("<rcpts@x>"))[0] == 250
    assert raw_rows(db)[1].envelope_to == ["private@archive.example.org"]


def test_same_message_twice_counts_deliveries_and_archives_once(live, db, settings, clock):
    data = make_message("<storm-1@council.test>")
    live.send(data)
    live.send(data, to=["comms-network+again@archive.example.org"])
    rows = raw_rows(db)
    assert len(rows) == 1 and rows[0].delivery_count == 2
    from replyall.pipeline.runner import drain

    drain(db, settings, clock)
    with db.reader() as session:
        messages = session.query(Message).filter(Message.is_ghost.is_(False)).all()
        raw = session.get(RawMessage, rows[0].id)
    assert raw.status in ("done", "failed")
    if raw.status == "done":
        assert len(messages) == 1 and messages[0].delivery_count == 2


def test_message_without_message_id_gets_a_stable_derived_one(live, db):
    data = make_message(None, subject="No id here")
    live.send(data)
    live.send(data)
    rows = raw_rows(db)
    assert len(rows) == 1 and rows[0].delivery_count == 2
    assert rows[0].message_id_derived is True
    assert rows[0].message_id == derive_message_id(data)
    assert rows[0].raw == data


def test_8bit_headers_kept_byte_for_byte(live, db):
    data = (
        b"From: =?utf-8?q?Ren=C3=A9e?= <renee@council.test>\r\nTo: comms-network@archive.example.org\r\n"
        b"Subject: R\xe9union \xe0 Lyon\r\nMessage-ID: <latin1@council.test>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Caf\xe9 cr\xe8me\r\n"
    )
    live.send(data, mail_options=["BODY=8BITMIME"])
    assert raw_rows(db)[0].raw == data


def test_smtputf8_address_and_headers(live, db):
    """RFC 6531/6532: UTF-8 in the envelope and in headers, Message-ID included."""
    data = (
        "From: Zoë Ångström <zoë@council.test>\r\nTo: comms-network@archive.example.org\r\n"
        "Subject: Über die Flut — 洪水\r\nMessage-ID: <utf8-ünïcode@council.test>\r\n\r\nGrüße\r\n"
    ).encode()
    with live.client() as client:
        assert client.has_extn("smtputf8")
        client.sendmail("zoë@council.test", ["comms-network@archive.example.org"], data,
                        mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    row = raw_rows(db)[0]
    assert row.raw == data
    assert row.envelope_from == "zoë@council.test"


def test_smtputf8_message_id_read_as_utf8(live, db):
    data = "Message-ID: <utf8-ünïcode@council.test>\r\nSubject: x\r\n\r\nhi\r\n".encode()
    live.send(data, mail_options=["SMTPUTF8"])
    assert raw_rows(db)[0].message_id == "utf8-ünïcode@council.test"


def test_line_over_1000_octets_accepted(live, db):
    long_line = b"<p>" + b"a" * 5000 + b"</p>"
    data = make_message("<long-line@council.test>") + long_line + b"\r\n" + b"b" * 200_000 + b"\r\n"
    live.send(data)
    assert raw_rows(db)[0].raw == data


def test_bare_lf_message_kept_as_sent(live, db):
    data = (
        b"From: script@council.test\nTo: comms-network@archive.example.org\nSubject: bare LF\n"
        b"Message-ID: <bare-lf@council.test>\n\nline one\n.leading dot survives\n..two dots\nend\n"
    )
    live.send(data)
    row = raw_rows(db)[0]
    # smtplib sends the bytes as they are (dot-stuffed) and ends them with CRLF . CRLF;
    # the trailing CRLF it adds to a message not ending in CRLF is part of the DATA.
    assert row.raw == data + b"\r\n"
    assert row.message_id == "bare-lf@council.test"


def test_dot_stuffing_undone(live, db):
    data = make_message("<dots@council.test>", body=".\r\n..\r\n.hidden\r\nend\r\n")
    live.send(data)
    assert raw_rows(db)[0].raw == data


def test_rset_and_several_messages_in_one_session(live, db):
    with live.client() as client:
        client.mail("alice@council.test")
        client.rcpt("comms-network@archive.example.org")
        client.rset()
        for n in range(3):
            client.sendmail("alice@council.test", ["comms-network@archive.example.org"],
                            make_message(f"<session-{n}@council.test>"))
    assert [r.message_id for r in raw_rows(db)] == [f"session-{n}@council.test" for n in range(3)]


def test_worker_is_woken_for_each_stored_message(live_factory, settings):
    calls: list[int] = []
    server = live_factory(settings, on_stored=lambda: calls.append(1))
    server.send(make_message("<wake@x>"))
    server.send(make_message("<wake@x>"))
    with server.client() as client:
        client.mail("a@x")
        client.rcpt("nobody@archive.example.org")
    assert len(calls) == 2


def test_long_sender_address_is_not_a_command_line_too_long(live, db):
    # VERP and SRS rewriting make envelope senders far longer than aiosmtpd's 512-octet default.
    sender = "bounces+" + "srs0=" * 120 + "x@lists.council.test"
    assert len(sender) > 600
    with live.client() as client:
        assert client.sendmail(sender, ["comms-network@archive.example.org"], make_message("<verp@x>"),
                               mail_options=["SMTPUTF8", "BODY=8BITMIME"]) == {}
    assert raw_rows(db)[0].envelope_from == sender


def test_pipelined_commands_after_the_final_dot(live, db):
    """RFC 2920: a client may send its next commands with the end of the data."""
    first, second = make_message("<pipe-1@x>"), make_message("<pipe-2@x>")
    with live.client() as client:
        client.sock.sendall(b"MAIL FROM:<a@x>\r\nRCPT TO:<comms-network@archive.example.org>\r\nDATA\r\n")
        for expected in (250, 250, 354):
            assert client.getreply()[0] == expected
        client.sock.sendall(first + b".\r\nMAIL FROM:<a@x>\r\nRCPT TO:<comms-network@archive.example.org>\r\nDATA\r\n")
        for expected in (250, 250, 250, 354):
            assert client.getreply()[0] == expected
        client.sock.sendall(second + b".\r\nQUIT\r\n")
        assert client.getreply()[0] == 250
        assert client.getreply()[0] == 221
    assert [r.raw for r in raw_rows(db)] == [first, second]


def test_end_marker_split_across_writes(live, db):
    data = make_message("<split@x>")
    with live.client() as client:
        client.mail("a@x")
        client.rcpt("comms-network@archive.example.org")
        client.putcmd("data")
        assert client.getreply()[0] == 354
        client.sock.sendall(data[:-1])
        for byte in (data[-1:], b".", b"\r", b"\n"):
            client.sock.sendall(byte)
        assert client.getreply()[0] == 250
    assert raw_rows(db)[0].raw == data


def test_dot_line_after_bare_lf_does_not_end_the_data(live, db):
    """SMTP smuggling (2023): only CRLF . CRLF ends a message, so no second message can hide inside."""
    smuggled = b"\n.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<comms-network@archive.example.org>\r\nDATA\r\nSubject: forged\r\n"
    data = make_message("<smuggle@x>") + b"text" + smuggled
    with live.client() as client:
        client.mail("a@x")
        client.rcpt("comms-network@archive.example.org")
        client.putcmd("data")
        assert client.getreply()[0] == 354
        client.sock.sendall(data + b".\r\n")
        assert client.getreply()[0] == 250
    rows = raw_rows(db)
    assert len(rows) == 1 and b"Subject: forged" in rows[0].raw


def test_envelope_address_syntax(live, db):
    """Null sender accepted (bounces use it), malformed addresses refused, bare addresses read."""
    with live.client() as client:
        client.ehlo("client.test")
        assert client.mail("<>")[0] == 250
        assert client.rcpt("comms-network@archive.example.org")[0] == 250
        client.rset()
        code, reply = client.docmd("MAIL FROM:<alice@@council.test>")
        assert code == 553 and b"malformed" in reply.lower()
        code, _ = client.docmd("MAIL FROM:alice@council.test")  # without brackets, as some scripts send
        assert code == 250
        code, _ = client.docmd("RCPT TO:<@relay.test:comms-network@archive.example.org>")  # a source route
        assert code == 250
        assert client.docmd("RCPT TO:<comms-network@@archive.example.org>")[0] == 553
    assert raw_rows(db) == []
