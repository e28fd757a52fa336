"""Tests for replyall.mail.mime.parse_message on fixtures named after their defect."""

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replyall.mail.charsets import decode_bytes, decode_header_value
from replyall.mail.mime import ParsedMessage, parse_message
from replyall.mail.parts import unflow


def test_basic_fields(parsed):
    p = parsed("alternative-plain-and-html.eml")
    assert p.message_id == "alt@example.com" == p.effective_message_id
    assert p.from_ == ("Alice", "alice@example.com")
    assert p.to == (("", "team@example.com"),)
    assert p.date == datetime(2024, 5, 6, 7, 30, tzinfo=timezone.utc) and p.date_offset == 120
    assert p.defects == ()


def test_result_is_frozen(parsed):
    p = parsed("missing-message-id.eml")
    with pytest.raises(AttributeError):
        p.subject = "x"  # type: ignore[misc]


def test_8bit_latin1_headers(parsed):
    p = parsed("8bit-latin1-subject.eml")
    assert p.subject == "Réunion prévue à l'été"
    assert p.from_ == ("René Müller", "rene@example.com")
    assert any("8-bit" in d for d in p.defects)


def test_8bit_utf8_headers(parsed):
    p = parsed("8bit-utf8-subject.eml")
    assert p.subject == "Grüße aus Köln" and p.from_[0] == "Jürgen Groß"


def test_rfc2047_multibyte_split_across_words(parsed):
    assert parsed("rfc2047-split-multibyte.eml").subject == "€100 für Kaffee"


def test_rfc2047_in_quoted_name_and_to_list(parsed):
    p = parsed("rfc2047-in-quoted-name.eml")
    assert p.from_ == ("Björn Smith, Jr", "bjorn@example.org")
    assert p.to == (("Doe, Jane", "jane@example.com"), ("Bob", "BOB@example.com"))


def test_rfc2047_unknown_charset_keeps_text(parsed):
    p = parsed("rfc2047-unknown-charset-subject.eml")
    assert p.subject == "Café ok"
    assert any("unknown charset" in d for d in p.defects)


def test_unknown_8bit_body_detected(parsed):
    p = parsed("unknown-8bit-charset.eml")
    assert "Grüße aus München" in p.text
    assert any("unknown charset" in d for d in p.defects)


def test_declared_utf8_but_latin1_bytes(parsed):
    p = parsed("declared-utf8-is-latin1.eml")
    assert "Café crème, déjà vu" in p.text
    assert any("bytes invalid" in d for d in p.defects)


def test_latin1_label_with_cp1252_smart_quotes(parsed):
    assert "He said “stop replying all” – twice" in parsed("latin1-label-cp1252-quotes.eml").text


def test_missing_message_id_gets_derived_effective_id(parsed, fixture_bytes):
    p = parsed("missing-message-id.eml")
    assert p.message_id is None and "missing Message-ID" in p.defects
    assert p.effective_message_id.endswith("@replyall.invalid")
    assert parse_message(fixture_bytes("missing-message-id.eml")).effective_message_id == p.effective_message_id


def test_message_id_without_brackets(parsed):
    assert parsed("message-id-without-brackets.eml").message_id == "abc.123@example.com"


def test_message_id_folded(parsed):
    assert parsed("message-id-folded.eml").message_id == "very-long-id-2024@example.com"


def test_in_reply_to_prose_uses_references(parsed):
    p = parsed("in-reply-to-prose-with-address.eml")
    assert p.in_reply_to == ()
    assert p.parents == ("root@example.com", "parent@example.com")


def test_references_participant_address_dropped(parsed):
    p = parsed("references-with-participant-address.eml")
    assert p.references == ("root@example.com", "p2@example.com")
    assert p.parents == ("root@example.com", "p2@example.com")


def test_in_reply_to_several_ids(parsed):
    p = parsed("in-reply-to-several-ids.eml")
    assert p.in_reply_to == ("x1@example.com", "x2@example.com")
    assert p.parents[-1] == "x2@example.com"


def test_date_missing_zone_flagged(parsed):
    p = parsed("date-missing-zone.eml")
    assert p.date == datetime(2024, 5, 6, 9, 30, tzinfo=timezone.utc) and p.date_offset is None
    assert "Date without a usable time zone" in p.defects


def test_garbage_date_falls_back_to_received(parsed):
    p = parsed("date-garbage-received-fallback.eml")
    assert p.date == datetime(2024, 5, 7, 10, 0, tzinfo=timezone.utc)
    assert "unparseable Date" in p.defects and "date taken from Received" in p.defects


def test_long_line_kept_whole(parsed):
    p = parsed("long-line-over-1000-octets.eml")
    assert p.text.count("word") == 1200 and p.text.endswith("end")


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_line_endings_give_same_result(fixture_bytes, ending):
    raw = fixture_bytes("alternative-plain-and-html.eml").replace(b"\n", ending)
    p = parse_message(raw)
    assert p.text == "Plain version" and p.subject == "alt" and "\r" not in p.text


def test_html_only_converted_to_text(parsed):
    p = parsed("html-only.eml")
    assert "Please stop" in p.text and "replying all" in " ".join(p.text.split())
    assert "<p>" not in p.text and p.html.startswith("<html>")


def test_html_meta_charset_used(parsed):
    assert "Привет" in parsed("html-meta-charset-no-header-charset.eml").text


def test_alternative_prefers_plain_keeps_html(parsed):
    p = parsed("alternative-plain-and-html.eml")
    assert p.text == "Plain version" and "<p>HTML version</p>" in p.html
    assert p.attachments == ()


def test_alternative_with_empty_plain_uses_html(parsed):
    assert "Only the HTML has words" in parsed("alternative-empty-plain.eml").text


def test_attachment_filenames(parsed):
    p = parsed("attachment-filenames-rfc2231-rfc2047.eml")
    assert p.text == "See attached."
    pdf, xls, png = p.attachments
    assert pdf.filename == "Bericht für März.pdf" and pdf.payload.startswith(b"%PDF")
    assert pdf.size == len(pdf.payload) and not pdf.inline
    assert xls.filename == "übersicht.xls" and xls.content_type == "application/vnd.ms-excel"
    assert png.filename is None and png.content_id == "logo@example.com" and png.inline


def test_nested_message_becomes_eml_attachment(parsed):
    p = parsed("nested-message-rfc822.eml")
    assert p.text == "Forwarding the original."
    (att,) = p.attachments
    assert att.content_type == "message/rfc822"
    assert att.filename == "Original storm _ part 1.eml"
    assert b"Message-ID: <inner@example.com>" in att.payload
    assert parse_message(att.payload).message_id == "inner@example.com"


def test_format_flowed_unwrapped(parsed):
    text = parsed("format-flowed.eml").text
    assert "This is one long paragraph that was wrapped." in text
    assert "> quoted soft break" in text and "-- \nsig" in text


def test_unflow_delsp():
    assert unflow("abc \ndef", delsp=True) == "abcdef"


def test_leading_blank_lines(parsed):
    p = parsed("leading-blank-lines.eml")
    assert p.message_id == "leading@example.com" and p.text.strip() == "Body"


def test_nul_removed(parsed):
    assert parsed("nul-byte-in-body.eml").text.strip() == "beforeafter"


def test_bad_base64_padding(parsed):
    assert parsed("bad-base64-padding.eml").text.startswith("Hello worl")


def test_empty_input():
    p = parse_message(b"")
    assert isinstance(p, ParsedMessage) and p.message_id is None
    assert "missing Message-ID" in p.defects and p.text == ""


def test_headers_captured_decoded(parsed):
    p = parsed("recall-outlook.eml")
    assert p.header("Thread-Topic") == "Q3 planning"
    assert p.header("thread-index") == "AQHZn1tJ8yQkqVhOTkKzlmKbPbtL1w=="
    assert p.header("x-no-archive") is None


def test_decode_bytes_never_loses_text():
    text, defects = decode_bytes(bytes(range(256)), "utf-8")
    assert len(text) >= 200 and defects


def test_decode_header_value_broken_base64():
    text, _ = decode_header_value("=?utf-8?B?SGVsbG8?= world")
    assert text == "Hello world"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_never_raises_on_random_bytes(raw):
    p = parse_message(raw)
    assert p.message_id or p.defects


_HEADERS = st.sampled_from([
    b"Message-ID: ", b"From: ", b"To: ", b"Date: ", b"Subject: ", b"References: ",
    b"In-Reply-To: ", b"Content-Type: multipart/mixed; boundary=", b"Content-Type: text/plain; charset=",
    b"Content-Transfer-Encoding: ", b"Content-Disposition: attachment; filename*=", b"--", b"\r\n", b"\n",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_HEADERS, st.binary(max_size=60)), max_size=25))
def test_never_raises_on_header_shaped_junk(chunks):
    p = parse_message(b"".join(a + b for a, b in chunks))
    assert isinstance(p.text, str) and (p.message_id or p.defects)


def _listed(headers: str) -> ParsedMessage:
    return parse_message(
        (headers + "Subject: Re: rota\r\nMessage-ID: <via@x.test>\r\nDate: Mon, 6 May 2024 09:00:00 +0000\r\n\r\nAgreed.\r\n").encode()
    )


def test_author_behind_a_list_that_rewrote_from():
    # Google Groups: the author in X-Original-From (and Reply-To, X-Original-Sender).
    p = _listed(
        "From: \"'Ann Smith' via Comms\" <comms@googlegroups.com>\r\nTo: comms@googlegroups.com\r\n"
        "X-Original-From: Ann Smith <ann.smith@council.gov.uk>\r\nX-Original-Sender: ann.smith@council.gov.uk\r\n"
        "Reply-To: Ann Smith <ann.smith@council.gov.uk>\r\n"
    )
    assert p.from_ == ("Ann Smith", "ann.smith@council.gov.uk")
    # Google Groups with only the address kept: the name comes from "via".
    p = _listed("From: \"'Ann Smith' via Comms\" <comms@googlegroups.com>\r\nX-Original-Sender: ann.smith@council.gov.uk\r\n")
    assert p.from_ == ("Ann Smith", "ann.smith@council.gov.uk")
    # Mailman: the author in Reply-To, or in Cc when replies go to the list.
    p = _listed("From: Bob Jones via Comms <comms@lists.example.org>\r\nReply-To: Bob Jones <bob@nhs.example.uk>\r\n")
    assert p.from_ == ("Bob Jones", "bob@nhs.example.uk")
    p = _listed(
        "From: Bob Jones via Comms <comms@lists.example.org>\r\nReply-To: comms@lists.example.org\r\n"
        "Cc: Carl Wu <carl@x.test>, Bob Jones <bob@nhs.example.uk>\r\n"
    )
    assert p.from_ == ("Bob Jones", "bob@nhs.example.uk")


def test_a_from_with_via_and_nobody_behind_it_stays():
    # The list's own Reply-To, or a Reply-To naming someone else, is not the author.
    p = _listed("From: Bob Jones via Comms <comms@lists.example.org>\r\nReply-To: Help Desk <help@x.test>\r\n")
    assert p.from_ == ("Bob Jones via Comms", "comms@lists.example.org")
    p = _listed("From: Travel via Train <trains@x.test>\r\n")
    assert p.from_ == ("Travel via Train", "trains@x.test")
    # Without "via" nothing is rewritten, whatever X-Original-From says.
    p = _listed("From: Ann Smith <ann@x.test>\r\nX-Original-From: Someone Else <else@y.test>\r\n")
    assert p.from_ == ("Ann Smith", "ann@x.test")
