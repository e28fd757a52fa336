"""message_id_of reads the Message-ID from the raw header bytes without losing 8-bit octets."""

from __future__ import annotations

from replyall.intake.store import message_id_of
from replyall.mail.mime import parse_message


def test_folded_header_and_case_insensitive_name():
    data = b"Subject: x\r\nMESSAGE-id:\r\n  <folded@example.org>\r\n\r\nbody"
    assert message_id_of(data) == ("folded@example.org", False)


def test_header_only_from_the_header_section():
    data = b"Subject: x\n\nMessage-ID: <in-body@example.org>\n"
    mid, derived = message_id_of(data)
    assert derived and mid != "in-body@example.org"


def test_utf8_and_latin1_ids_stay_distinct():
    utf8 = message_id_of("Message-ID: <caf\u00e9@x.org>\r\n\r\n".encode())[0]
    latin1 = message_id_of("Message-ID: <caf\u00e9@x.org>\r\n\r\n".encode("latin-1"))[0]
    other = message_id_of("Message-ID: <caf\u00e8@x.org>\r\n\r\n".encode())[0]
    assert utf8 == "caf\u00e9@x.org"
    assert len({utf8, other}) == 2 and latin1 != other


def test_derived_id_matches_the_parser_for_mail_without_one():
    data = b"From: a@b.org\r\nSubject: no id\r\n\r\nhello\r\n"
    mid, derived = message_id_of(data)
    assert derived and mid == parse_message(data).effective_message_id


def test_only_a_header_named_exactly_message_id_counts():
    data = (
        b"X-Original-Message-ID: <other@example.org>\r\nMessage-ID-Note: <nope@example.org>\r\n"
        b"Resent-Message-ID: <resent@example.org>\r\nmessage-id: <real@example.org>\r\n\r\nbody"
    )
    assert message_id_of(data) == ("real@example.org", False)


def test_bare_lf_header_end_and_id_on_the_first_line():
    assert message_id_of(b"Message-ID: <first@example.org>\nSubject: x\n\nMessage-ID: <b@x>\n")[0] == "first@example.org"
    assert message_id_of(b"Subject: x\r\n\nMessage-ID: <in-body@example.org>\r\n")[1] is True
