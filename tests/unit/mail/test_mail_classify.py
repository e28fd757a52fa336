"""Tests for replyall.mail.classify: auto-replies, bounces, recalls, receipts, no-archive."""

import pytest

from replyall.mail.classify import classify, is_no_archive


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("alternative-plain-and-html.eml", "normal"),
        ("auto-reply-outlook-subject.eml", "auto_reply"),
        ("auto-reply-rfc3834.eml", "auto_reply"),
        ("auto-reply-german-subject.eml", "auto_reply"),
        ("auto-reply-french-subject.eml", "auto_reply"),
        ("auto-reply-x-autorespond.eml", "auto_reply"),
        ("list-precedence-bulk-is-normal.eml", "normal"),
        ("bounce-dsn.eml", "bounce"),
        ("bounce-outlook-undeliverable.eml", "bounce"),
        ("postmaster-human-is-normal.eml", "normal"),
        ("receipt-mdn.eml", "receipt"),
        ("receipt-read-subject-only.eml", "receipt"),
        ("recall-outlook.eml", "recall"),
    ],
)
def test_classify_fixture(parsed, fixture, kind):
    assert classify(parsed(fixture)) == kind


def _with(fixture_bytes, name, old: bytes, new: bytes):
    from replyall.mail.mime import parse_message

    raw = fixture_bytes(name)
    assert old in raw
    return parse_message(raw.replace(old, new))


def test_auto_submitted_no_is_normal(fixture_bytes):
    p = _with(fixture_bytes, "auto-reply-rfc3834.eml", b"auto-replied", b"no")
    assert classify(p) == "normal"


def test_precedence_auto_reply(fixture_bytes):
    p = _with(fixture_bytes, "list-precedence-bulk-is-normal.eml", b"Precedence: bulk", b"Precedence: auto_reply")
    assert classify(p) == "auto_reply"


def test_out_of_office_subject(fixture_bytes):
    p = _with(fixture_bytes, "alternative-plain-and-html.eml", b"Subject: alt", b"Subject: Out of Office: Q3")
    assert classify(p) == "auto_reply"


def test_out_of_office_mid_subject_is_normal(fixture_bytes):
    p = _with(fixture_bytes, "alternative-plain-and-html.eml", b"Subject: alt", b"Subject: Re: out of office policy")
    assert classify(p) == "normal"


def test_recall_subject_with_long_human_body_is_normal(fixture_bytes):
    body = b"Recall: the notes from Monday are below. " * 30
    from replyall.mail.mime import parse_message

    raw = fixture_bytes("alternative-plain-and-html.eml").replace(b"Subject: alt", b"Subject: Recall: notes")
    assert classify(parse_message(raw)) == "recall"  # short body: an Outlook recall
    assert classify(parse_message(raw.replace(b"Plain version", body))) == "normal"


def test_read_subject_on_long_human_reply_is_normal(fixture_bytes):
    body = b"I read the report and have many thoughts about it. " * 20
    raw = fixture_bytes("alternative-plain-and-html.eml").replace(b"Subject: alt", b"Subject: Read: report")
    from replyall.mail.mime import parse_message

    assert classify(parse_message(raw.replace(b"Plain version", body))) == "normal"


def test_mailer_daemon_alone_is_bounce(fixture_bytes):
    p = _with(fixture_bytes, "alternative-plain-and-html.eml", b"Alice <alice@example.com>", b"MAILER-DAEMON@mx.example.com")
    assert classify(p) == "bounce"


def test_plain_message_is_normal(parsed):
    assert classify(parsed("format-flowed.eml")) == "normal"


def test_no_archive(parsed):
    assert is_no_archive(parsed("x-no-archive.eml"))
    assert is_no_archive(parsed("archive-no.eml"))
    assert not is_no_archive(parsed("alternative-plain-and-html.eml"))
