"""Tests for replyall.mail.headers: ids, references, dates, addresses, Thread-Index."""

import base64
from datetime import datetime, timedelta, timezone

from replyall.mail.headers import (
    conversation_key,
    decode_thread_index,
    derive_message_id,
    message_id_hash,
    normalize_message_id,
    parent_candidates,
    parse_address,
    parse_addresses,
    parse_date,
    parse_in_reply_to,
    parse_references,
    short_hash,
    thread_index_parent,
)

# --- Message-ID -----------------------------------------------------------------


def test_normalize_strips_brackets_and_space():
    assert normalize_message_id("  <abc.123@example.com>  ") == "abc.123@example.com"


def test_normalize_accepts_missing_brackets():
    assert normalize_message_id("abc.123@example.com") == "abc.123@example.com"


def test_normalize_removes_folding_inside_id():
    assert normalize_message_id("<very-long-\r\n 2024@example.com>") == "very-long-2024@example.com"


def test_normalize_accepts_id_without_at_sign():
    assert normalize_message_id("<msg1>") == "msg1"


def test_normalize_unclosed_bracket():
    assert normalize_message_id("<abc@example") == "abc@example"


def test_normalize_keeps_case():
    assert normalize_message_id("<ABC@Example.COM>") == "ABC@Example.COM"


def test_normalize_garbage_is_none():
    for junk in (None, "", "   ", "<>", "< >", "<-->"):
        assert normalize_message_id(junk) is None, junk


def test_normalize_takes_first_of_several():
    assert normalize_message_id("<a@x> <b@x>") == "a@x"


def test_hash_is_hyperkitty_compatible():
    # HyperKitty: base32 of sha1 of the id without brackets; its docs use this pair.
    mid = "20070406224355.899B9180064@test.example.com"
    expected = base64.b32encode(__import__("hashlib").sha1(mid.encode()).digest()).decode()
    assert message_id_hash(mid) == expected
    assert len(expected) == 32 and expected.isupper()


def test_hash_ignores_brackets_and_space():
    assert message_id_hash("<a@b>") == message_id_hash(" a@b ")


def test_hash_url_safe_and_short_hash_prefix():
    h = message_id_hash("weird/id?with#chars@x")
    assert h.isalnum()
    assert short_hash("weird/id?with#chars@x") == h[:10]


# --- References / In-Reply-To --------------------------------------------------


def test_references_order_and_duplicates():
    value = "<a@x>\r\n <b@x> <a@x>\t<c@x>"
    assert parse_references(value) == ["a@x", "b@x", "c@x"]


def test_references_accepts_list_of_headers():
    assert parse_references(["<a@x>", "<b@x> <a@x>"]) == ["a@x", "b@x"]


def test_references_drop_excluded_participant_address():
    refs = parse_references("<r@x> <bob1@example.com> <p@x>", exclude=["bob1@example.com"])
    assert refs == ["r@x", "p@x"]


def test_references_drop_git_send_email_y_n():
    assert parse_in_reply_to("<y>") == []


def test_references_drop_junk_tokens():
    assert parse_references("<> <a@x> < >") == ["a@x"]


def test_in_reply_to_prose_with_address_dropped():
    assert parse_in_reply_to('message from Joe Bloggs <joe@example.com> of "Mon, 6 May"') == []


def test_in_reply_to_prose_with_real_id_kept():
    # HyperKitty test data: "Other person's message of <date> <id>".
    value = "Other person's message of  Saturday, 7 April 2007 00:53:46 +0300 <200704070053.46646.other.person@example.com>"
    assert parse_in_reply_to(value) == ["200704070053.46646.other.person@example.com"]


def test_in_reply_to_bracketed_address_without_prose_kept():
    # Without prose we cannot tell; a bare "<joe@example.com>" might be a real id.
    assert parse_in_reply_to("<joe@example.com>") == ["joe@example.com"]


def test_in_reply_to_without_brackets():
    assert parse_in_reply_to("abc.123@example.com") == ["abc.123@example.com"]


def test_in_reply_to_unclosed_bracket():
    assert parse_in_reply_to("<200704070053.46646.other.person@example") == [
        "200704070053.46646.other.person@example"
    ]


def test_none_and_empty():
    assert parse_references(None) == [] and parse_in_reply_to("") == []


def test_parents_in_reply_to_is_parent():
    assert parent_candidates("<p@x>", "<r@x> <p@x>", "me@x") == ["r@x", "p@x"]


def test_parents_trust_in_reply_to_over_reordered_references():
    assert parent_candidates("<p@x>", "<p@x> <r@x>", None) == ["r@x", "p@x"]


def test_parents_self_removed():
    assert parent_candidates("<me@x>", "<r@x> <me@x>", "<me@x>") == ["r@x"]


def test_parents_several_in_reply_to_prefers_references():
    assert parent_candidates("<x1@x> <x2@x>", "<r@x> <x2@x>", None) == ["x1@x", "r@x", "x2@x"]


def test_parents_address_like_in_reply_to_uses_references():
    chain = parent_candidates("message from Joe <joe@example.com>", "<r@x> <p@x>", None)
    assert chain == ["r@x", "p@x"]


def test_parents_only_in_reply_to():
    assert parent_candidates("<p@x>", None, None) == ["p@x"]


def test_parents_nothing():
    assert parent_candidates(None, None, "a@x") == []


# --- Date --------------------------------------------------------------------------


def test_date_with_offset():
    dt, offset = parse_date("Mon, 06 May 2024 09:30:00 +0200")
    assert dt == datetime(2024, 5, 6, 7, 30, tzinfo=timezone.utc)
    assert dt.utcoffset() == timedelta(0)
    assert offset == 120


def test_date_negative_half_hour_offset():
    dt, offset = parse_date("Mon, 06 May 2024 09:30:00 -0330")
    assert offset == -210 and dt.hour == 13


def test_date_two_digit_year():
    # RFC 5322 4.3: 00-49 -> 20xx, 50-99 -> 19xx.
    assert parse_date("Tue, 30 Nov 99 23:56:33 +0000")[0].year == 1999
    assert parse_date("Tue, 30 Nov 04 23:56:33 +0000")[0].year == 2004


def test_date_missing_zone_is_utc_with_unknown_offset():
    dt, offset = parse_date("Mon, 06 May 2024 09:30:00")
    assert dt == datetime(2024, 5, 6, 9, 30, tzinfo=timezone.utc) and offset is None


def test_date_minus_zero_means_unknown_offset():
    assert parse_date("Mon, 06 May 2024 09:30:00 -0000")[1] is None
    assert parse_date("Mon, 06 May 2024 09:30:00 +0000")[1] == 0


def test_date_named_zone():
    dt, offset = parse_date("Mon, 06 May 2024 09:30:00 EST")
    assert offset == -300 and dt.hour == 14


def test_date_impossible_zone():
    # HyperKitty bad_date_tz: "-3000" is not a real offset.
    dt, offset = parse_date("Tue, 30 Nov 1999 23:56:33 -3000 (CST)")
    assert dt == datetime(1999, 11, 30, 23, 56, 33, tzinfo=timezone.utc) and offset is None


def test_date_leap_second_does_not_raise():
    assert parse_date("Sat, 31 Dec 2016 23:59:60 +0000")[0].second == 59


def test_date_garbage_and_out_of_range_never_raise():
    for junk in (None, "", "garbage", "Fri, 31 Feb 2010 10:00:00 +0000",
                 "Mon, 06 May 2024 25:61:00 +0000", "Mon, 06 May 1066 10:00:00 +0000",
                 "\udcc3\udcbc", "Thu Jan 01 00:00:10 +0000"):
        assert parse_date(junk) == (None, None), junk


def test_date_numeric_fallback():
    # HyperKitty non-ascii-date-header: "<8-bit junk>, 27 6 2001 15:23:36".
    dt, _ = parse_date("\udcbc\udcf6, 27 6 2001 15:23:36")
    assert (dt.year, dt.month, dt.day, dt.hour) == (2001, 6, 27, 15)


def test_date_accepts_datetime():
    naive = datetime(2024, 1, 1, 12, 0)
    assert parse_date(naive) == (naive.replace(tzinfo=timezone.utc), None)


# --- Addresses ----------------------------------------------------------------------


def test_addresses_basic_list_with_quoted_comma():
    assert parse_addresses('Joe <joe@x.com>, "Doe, Jane" <JANE@EXAMPLE.COM>') == [
        ("Joe", "joe@x.com"),
        ("Doe, Jane", "JANE@example.com"),
    ]


def test_addresses_lowercase_domain_only():
    assert parse_address("Ann <Ann.Smith@Example.ORG>") == ("Ann", "Ann.Smith@example.org")


def test_addresses_rfc2047_name_even_in_quotes():
    assert parse_address('"=?utf-8?Q?Bj=C3=B6rn?=" <b@x.org>') == ("Björn", "b@x.org")


def test_addresses_encoded_comma_does_not_split():
    assert parse_addresses("=?utf-8?q?Smith=2C_J?= <j@x.com>") == [("Smith, J", "j@x.com")]


def test_addresses_raw_8bit_name():
    # Raw UTF-8 as the email package hands it over (surrogate-escaped).
    raw = "J\udcc3\udcbcrgen <jg@x.de>"
    assert parse_address(raw) == ("Jürgen", "jg@x.de")


def test_addresses_comment_form():
    assert parse_address("joe@x.com (Joe Q)") == ("Joe Q", "joe@x.com")


def test_addresses_pipermail_obfuscation():
    assert parse_address("test at example.com (Dummy Person)") == ("Dummy Person", "test@example.com")


def test_addresses_outlook_single_quotes_and_address_as_name():
    assert parse_address("'Bob' <bob@x.com>") == ("Bob", "bob@x.com")
    assert parse_address("bob@x.com <bob@x.com>") == ("", "bob@x.com")


def test_addresses_group_and_undisclosed():
    assert parse_addresses("team: a@x.com, b@y.com;") == [("", "a@x.com"), ("", "b@y.com")]
    assert parse_addresses("undisclosed-recipients:;") == []


def test_addresses_garbage_never_raises():
    for junk in (None, "", "<>", ",,,", '"unterminated <x@y', "<<<>>>", "@", "a@b@c"):
        assert isinstance(parse_addresses(junk), list)


def test_address_encoded_word_without_address():
    # GNU Mailman bad_email.eml: From holds only an encoded name.
    name, addr = parse_address("=?koi8-r?B?8sXL0sXB1MnXzs/FIMHHxc7U09TXzw==?=")
    assert name == "Рекреативное агентство" and addr == ""


def test_address_local_only_mailbox():
    assert parse_address("MAILER-DAEMON") == ("", "MAILER-DAEMON")


def test_address_angle_brackets_and_parentheses_inside_a_quoted_name():
    # Exchange quotes names such as "Doe, Jane <Comms>"; the address is the angle-addr
    # outside the quotes, and parentheses inside quotes are no comment (RFC 5322 3.2.4).
    assert parse_address('"Doe, Jane <Comms>" <jane@x.gov.uk>') == ("Doe, Jane <Comms>", "jane@x.gov.uk")
    assert parse_address('"Doe, Jane (Comms)" <jane@x.gov.uk>') == ("Doe, Jane (Comms)", "jane@x.gov.uk")
    assert parse_address('"<img src=x onerror=alert(1)> M" <m@evil.test>') == ("<img src=x onerror=alert(1)> M", "m@evil.test")
    assert parse_address('Joe (old <a@x.com>) <joe@x.com>') == ("Joe", "joe@x.com")


# --- derived ids -------------------------------------------------------------------

RAW = b"From: a@x\r\nDate: Mon, 06 May 2024 09:30:00 +0000\r\nSubject: hi\r\n\r\nbody\r\n"


def test_derived_id_is_stable_across_line_endings_and_mbox_line():
    lf = RAW.replace(b"\r\n", b"\n")
    mbox = b"From a@x Mon May  6 09:30:00 2024\n" + lf
    assert derive_message_id(RAW) == derive_message_id(lf) == derive_message_id(mbox)


def test_derived_id_format_and_normalised():
    mid = derive_message_id(RAW)
    assert mid.endswith("@replyall.invalid") and "<" not in mid
    assert normalize_message_id(mid) == mid


def test_derived_id_changes_with_body_and_subject():
    assert derive_message_id(RAW) != derive_message_id(RAW.replace(b"body", b"other"))
    assert derive_message_id(RAW) != derive_message_id(RAW.replace(b"hi", b"ho"))


def test_derived_id_of_empty_input():
    assert derive_message_id(b"").endswith("@replyall.invalid")


# --- Outlook Thread-Index ---------------------------------------------------------------

ROOT = bytes(range(22))
CHILD = ROOT + b"\x01\x02\x03\x04\x05"


def test_thread_index_decode_tolerates_folding_and_missing_padding():
    text = base64.b64encode(CHILD).decode().rstrip("=")
    folded = text[:10] + "\r\n " + text[10:]
    assert decode_thread_index(folded) == CHILD


def test_thread_index_garbage_or_short_is_none():
    assert decode_thread_index("!!!") is None
    assert decode_thread_index(base64.b64encode(b"short").decode()) is None
    assert decode_thread_index(None) is None


def test_thread_index_parent_and_root():
    assert thread_index_parent(CHILD) == ROOT
    assert thread_index_parent(ROOT) is None
    assert thread_index_parent(CHILD + b"\x00\x00") is None  # not 22 + 5n bytes


def test_conversation_key_shared_by_parent_and_child():
    assert conversation_key(CHILD) == conversation_key(ROOT) == ROOT.hex()
    assert conversation_key(base64.b64encode(CHILD).decode()) == ROOT.hex()
    assert conversation_key(b"short") is None
