"""Pure threading rules: subject keys, participants, Thread-Index ancestry, the subject-fallback guard."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from replyall.threading.evidence import attribution, quoted_lines, said_lines
from replyall.threading.rules import (
    Candidate,
    eligible,
    participants,
    rank,
    subject_key,
    thread_subject,
    ti_ancestors,
    ti_fields,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=14)


def cand(mid, subject="Re: Quick question", *, days=0.0, sender="a@x.gov.uk", to=(), cc=(), exclude=(), **extra):
    return Candidate(
        message_id=mid,
        subject=subject,
        subject_key=subject_key(subject),
        date=T0 + timedelta(days=days),
        from_address=sender,
        to_addresses=frozenset(to),
        participants=participants(sender, [["", a] for a in to], [["", a] for a in cc], exclude),
        **extra,
    )


def test_subject_key_ignores_reply_chains_list_tags_and_spacing():
    key = subject_key("Quick question")
    assert key
    for variant in ("Re: Quick question", "RE: AW: quick  question", "[comms] Re: Quick question", "SV: Quick question",
                    "Antw: Quick question", "Odp: Quick question", "答复: Quick question", "Fwd: Re: Quick question"):
        assert subject_key(variant) == key, variant


def test_subject_key_keeps_patch_versions_apart():
    # "[PATCH v2 1/3]" and "[PATCH v3 1/3]" are different threads on kernel-style lists.
    assert subject_key("Re: [PATCH v2 1/3] fix it") == subject_key("[PATCH v2 1/3] fix it")
    assert subject_key("[PATCH v2 1/3] fix it") != subject_key("[PATCH v3 1/3] fix it")
    assert thread_subject("[ksummit] Re: Topic") == "topic"


def test_empty_subject_falls_back_to_thread_topic_and_else_has_no_key():
    assert subject_key("", "Budget") == subject_key("Re: Budget")
    assert subject_key("Re: ") == ""
    assert subject_key(None) == ""


def test_participants_are_lower_case_and_drop_the_archive_address():
    got = participants("Alice@X.gov.uk", [["Bob", "BOB@y.nhs.uk"]], [["List", "comms@archive.org"]], ["comms@archive.org"])
    assert got == {"alice@x.gov.uk", "bob@y.nhs.uk"}


def test_thread_index_ancestors_drop_five_bytes_each():
    root = bytes(range(22))
    child = root + b"\x01\x02\x03\x04\x05"
    grandchild = child + b"\x06\x07\x08\x09\x0a"
    ti, conv = ti_fields(base64.b64encode(grandchild).decode())
    assert ti == grandchild.hex()
    assert conv == root.hex()
    assert ti_ancestors(ti) == [child.hex(), root.hex()]
    assert ti_ancestors(root.hex()) == []
    assert ti_fields("not base64 !!") == (None, None)
    assert ti_fields(None) == (None, None)


def test_eligible_needs_a_reply_subject_an_earlier_parent_and_the_window():
    parent = cand("p@x", "Quick question", sender="a@x.gov.uk")
    child = cand("c@x", days=2, sender="b@y.gov.uk", to=("a@x.gov.uk",))
    assert eligible(parent, child, WINDOW)
    assert not eligible(child, parent, WINDOW)  # a parent is never later than its child
    late = cand("c@x", days=15, sender="b@y.gov.uk", to=("a@x.gov.uk",))
    assert not eligible(parent, late, WINDOW)
    not_reply = cand("c@x", "Quick question", days=1, sender="b@y.gov.uk", to=("a@x.gov.uk",))
    assert not eligible(parent, not_reply, WINDOW)
    other_subject = cand("c@x", "Re: Slow question", days=1, sender="b@y.gov.uk", to=("a@x.gov.uk",))
    assert not eligible(parent, other_subject, WINDOW)


def test_eligible_needs_shared_people_and_the_list_address_does_not_count():
    parent = cand("p@x", "Quick question", sender="a@x.gov.uk", to=("list@archive.org",), exclude=("list@archive.org",))
    stranger = cand("c@x", days=1, sender="z@q.gov.uk", to=("list@archive.org",), exclude=("list@archive.org",))
    assert not eligible(parent, stranger, WINDOW)
    colleague = cand("c@x", days=1, sender="z@q.gov.uk", cc=("a@x.gov.uk",), exclude=("list@archive.org",))
    assert eligible(parent, colleague, WINDOW)


def test_rank_prefers_the_person_written_to_then_the_opener_then_the_latest():
    child = cand("c@x", days=3, sender="c@z.gov.uk", to=("b@y.gov.uk",), cc=("a@x.gov.uk",))
    opener = cand("p@x", "Quick question", sender="a@x.gov.uk")
    reply_b = cand("b@x", days=1, sender="b@y.gov.uk", to=("a@x.gov.uk",))
    reply_a = cand("a2@x", days=2, sender="a@x.gov.uk", to=("b@y.gov.uk",))
    # b is in To: b's reply wins; among people only copied, the opener beats a's later reply.
    assert rank(reply_b, child) > rank(opener, child) > rank(reply_a, child)
    nobody = cand("c2@x", days=3, sender="c@z.gov.uk", to=("list@archive.org",), cc=("a@x.gov.uk", "b@y.gov.uk"))
    # Writing to both: among the people copied, the opener wins over a later reply.
    assert max([opener, reply_b], key=lambda p: rank(p, nobody)) is opener


LIST = "list@archive.example.org"


def test_a_list_only_reply_is_eligible_when_its_quote_names_or_quotes_the_parent():
    parent = cand("p", "Quick question", sender="ann@x.gov.uk", to=(LIST,), exclude=(LIST,),
                  author_name="Ann Lee", author_address="ann@x.gov.uk",
                  said=said_lines("Does anyone know when the depot reopens after the flood?"))
    silent = dict(sender="bob@y.gov.uk", to=(LIST,), exclude=(LIST,), days=1)
    assert not eligible(parent, cand("r0", **silent), WINDOW)
    named = cand("r1", attribution=attribution("On Mon, Ann Lee <ann@x.gov.uk> wrote:\n> x"), **silent)
    assert eligible(parent, named, WINDOW)
    quoting = cand("r2", quoted=quoted_lines("", "Yes.\n"  # an interleaved reply: its ">" lines are in the body
                                             "> Does anyone know when the depot reopens after the flood?"), **silent)
    assert eligible(parent, quoting, WINDOW)
    other = cand("r3", attribution=attribution("On Mon, Zed Roe <zed@z.gov.uk> wrote:\n> x"), **silent)
    assert not eligible(parent, other, WINDOW)
    # The window and the subject still hold whatever the quote says.
    assert not eligible(parent, cand("r4", attribution=named.attribution, **{**silent, "days": 15}), WINDOW)


def test_rank_prefers_the_quoted_author_over_the_person_written_to():
    child = cand("c", sender="bob@y.gov.uk", to=("cat@z.gov.uk",), days=2,
                 attribution=attribution("On Mon, Ann Lee wrote:\n> x"))
    ann = cand("a", sender="ann@x.gov.uk", author_name="Ann Lee", author_address="ann@x.gov.uk", days=0)
    cat = cand("k", sender="cat@z.gov.uk", author_name="Cat Moe", author_address="cat@z.gov.uk", days=1)
    assert rank(ann, child) > rank(cat, child)
