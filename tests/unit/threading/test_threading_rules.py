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


def test_series_of_reads_tag_part_and_size_of_patch_mail_only():
    from replyall.threading.rules import series_of

    assert series_of("[PATCH v2 03/12] arm64: fix x") == ("[patch v2", 3, 12)
    assert series_of("[jh-images][PATCH 0/3] Update") == ("[jh-images][patch", 0, 3)
    assert series_of("Re: [PATCH v2 03/12] arm64: fix x") is None  # a reply is the subject rule's
    assert series_of("[PATCH] single") is None and series_of("Quick question 1/2") is None
    assert series_of("[PATCH 5/3] impossible") is None


def test_series_parts_hang_under_the_cover_letter_or_part_one_of_the_same_author_and_series():
    from replyall.threading.rules import SERIES_WINDOW, series_eligible, series_rank

    def part(mid, subject, *, seconds=0, sender="jan@x.de", name="Jan Kiszka", address=None):
        return cand(mid, subject, days=seconds / 86400, sender=sender, author_name=name,
                    author_address=sender if address is None else address)

    cover = part("c", "[PATCH v2 0/3] Cleanups")
    one, three = part("p1", "[PATCH v2 1/3] a", seconds=1), part("p3", "[PATCH v2 3/3] c", seconds=3)
    assert series_eligible(cover, three) and series_eligible(one, three) and series_eligible(cover, one)
    assert series_rank(cover, three) > series_rank(one, three)
    assert not series_eligible(three, one) and not series_eligible(part("p2", "[PATCH v2 2/3] b"), three)
    assert not series_eligible(part("o", "[PATCH v3 0/3] Cleanups"), three)  # another version
    assert not series_eligible(part("o", "[PATCH v2 0/4] Cleanups"), three)  # another series size
    assert not series_eligible(part("o", "[PATCH v2 0/3] x", sender="ann@y.de", name="Ann Lee"), three)
    late = part("l", "[PATCH v2 3/3] c", seconds=SERIES_WINDOW.total_seconds() + 1)
    assert not series_eligible(cover, late)
    # Google Groups gives DMARC senders the list's address: the name tells authors apart.
    via = dict(sender="list@archive.example.org", address="")
    assert series_eligible(part("c", "[PATCH 0/2] x", name="'Jan Kiszka' via list", **via),
                           part("p", "[PATCH 2/2] y", name="'Jan Kiszka' via list", **via))
    assert not series_eligible(part("c", "[PATCH 0/2] x", name="'Ann Lee' via list", **via),
                               part("p", "[PATCH 2/2] y", name="'Jan Kiszka' via list", **via))
