"""The guarded subject fallback and near-duplicate collapse, through the real pipeline on both databases."""

from __future__ import annotations

import re
from datetime import timedelta

from thread_helpers import feed, groups, make, rows_by_mid, snapshot, threads

DAY = 24 * 60
ALICE, BOB, CAROL = "alice@leeds.example.gov.uk", "bob@nhs.example.uk", "carol@police.example.uk"
ZED, YAN = "zed@kent.example.gov.uk", "yan@devon.example.gov.uk"


def test_reply_without_headers_joins_by_subject_inside_the_window_with_shared_people(db, settings, clock):
    feed(db, settings, clock, [
        make("q@x", subject="Quick question", sender=ALICE, cc=(BOB,)),
        make("r@x", subject="RE: Quick question", sender=BOB, to=(ALICE,), minutes=3 * DAY),
    ])
    assert groups(db) == {frozenset({"q@x", "r@x"})}
    row = rows_by_mid(db)["r@x"]
    assert row.thread_reason == "subject"
    assert snapshot(db)["r@x"][0] == "q@x"


def test_gateway_tags_and_markings_do_not_split_a_conversation(db, settings, clock):
    # Councils' marking tools and gateways rewrite the subject on some copies only.
    feed(db, settings, clock, [
        make("q@x", subject="OFFICIAL: Quick question", sender=ALICE, cc=(BOB, CAROL)),
        make("r@x", subject="EXTERNAL: RE: Quick question", sender=BOB, to=(ALICE,), minutes=60),
        make("s@x", subject="RE: Quick question [OFFICIAL-SENSITIVE]", sender=CAROL, to=(BOB,), minutes=120),
    ])
    assert groups(db) == {frozenset({"q@x", "r@x", "s@x"})}
    snap = snapshot(db)
    assert snap["r@x"][0] == "q@x" and snap["s@x"][0] == "r@x"
    assert rows_by_mid(db)["s@x"].thread_reason == "subject"
    (thread,) = threads(db)
    assert thread.subject == "Quick question"  # the marking stays on the message, not the title
    assert rows_by_mid(db)["q@x"].subject == "OFFICIAL: Quick question"


def test_same_subject_outside_the_window_stays_apart(db, settings, clock):
    feed(db, settings, clock, [
        make("q@x", subject="Quick question", sender=ALICE, cc=(BOB,)),
        make("r@x", subject="RE: Quick question", sender=BOB, to=(ALICE,), minutes=15 * DAY),
    ])
    assert groups(db) == {frozenset({"q@x"}), frozenset({"r@x"})}
    assert rows_by_mid(db)["r@x"].thread_reason == "new"


def test_window_follows_the_setting(db, settings_factory, settings, clock):
    wide = settings_factory(settings.database.url, threading={"subject_window_days": 30})
    feed(db, wide, clock, [
        make("q@x", subject="Quick question", sender=ALICE, cc=(BOB,)),
        make("r@x", subject="RE: Quick question", sender=BOB, to=(ALICE,), minutes=20 * DAY),
    ])
    assert groups(db) == {frozenset({"q@x", "r@x"})}


def test_unrelated_people_with_a_generic_subject_stay_apart(db, settings, clock):
    # Both only write to the list: the archive's own address proves nothing.
    feed(db, settings, clock, [
        make("q1@x", subject="Quick question", sender=ALICE),
        make("q2@x", subject="Re: Quick question", sender=ZED, minutes=2 * DAY),
        make("q3@x", subject="Re: Quick question", sender=YAN, to=("comms-network@archive.example.org", BOB), minutes=21 * DAY),
    ])
    assert groups(db) == {frozenset({"q1@x"}), frozenset({"q2@x"}), frozenset({"q3@x"})}


def test_messages_with_references_never_use_the_subject(db, settings, clock):
    feed(db, settings, clock, [
        make("q@x", subject="Quick question", sender=ALICE, cc=(BOB,)),
        make("r@x", subject="Re: Quick question", sender=BOB, to=(ALICE,), minutes=60, references="<elsewhere@x>"),
    ])
    assert groups(db) == {frozenset({"q@x"}), frozenset({"r@x"})}


def test_late_opener_adopts_subject_replies_that_arrived_first(db, settings, clock):
    feed(db, settings, clock, [
        make("r2@x", subject="Re: Quick question", sender=CAROL, to=(BOB,), cc=(ALICE,), minutes=90),
        make("r1@x", subject="Re: Quick question", sender=BOB, to=(ALICE,), minutes=60),
    ])
    assert snapshot(db)["r2@x"][0] == "r1@x"
    first_key = {t.key for t in threads(db)}
    feed(db, settings, clock, [make("q@x", subject="Quick question", sender=ALICE, cc=(BOB, CAROL))])
    snap = snapshot(db)
    assert snap["r1@x"][0] == "q@x" and snap["r2@x"][0] == "r1@x" and snap["q@x"][0] is None
    assert groups(db) == {frozenset({"q@x", "r1@x", "r2@x"})}
    (thread,) = threads(db)
    assert thread.message_count == 3 and thread.participant_count == 3
    assert thread.subject == "Quick question"
    assert first_key  # the replies' thread existed before the merge


def test_near_duplicate_collapses_into_one_message(db, settings, clock):
    body = "Please find the agenda below.\n\nItem 1: roads\n"
    feed(db, settings, clock, [
        make("orig@x", subject="Agenda", sender=ALICE, body=body),
        make("copy@gateway", subject="Agenda", sender=ALICE, minutes=1.5, body=body),
        make("late@x", subject="Agenda", sender=ALICE, minutes=3, body=body),  # outside two minutes
        make("other@x", subject="Agenda", sender=BOB, minutes=1, body=body),  # someone else
    ])
    rows = rows_by_mid(db)
    assert rows["copy@gateway"].duplicate_of_id == rows["orig@x"].id
    assert rows["copy@gateway"].thread_reason == "duplicate" and rows["copy@gateway"].raw_id is not None
    assert rows["orig@x"].delivery_count == 2
    assert rows["late@x"].duplicate_of_id is None and rows["other@x"].duplicate_of_id is None
    counts = {t.id: t.message_count for t in threads(db)}
    assert counts[rows["orig@x"].thread_id] == 1


def test_reply_to_the_duplicate_copy_lands_under_the_kept_message(db, settings, clock):
    from replyall.db.queries import thread_tree

    body = "Same words twice.\n"
    feed(db, settings, clock, [
        make("orig@x", subject="Agenda", sender=ALICE, body=body),
        make("re@x", subject="Re: Agenda", sender=BOB, minutes=5, references="<copy@gateway>"),
        make("copy@gateway", subject="Agenda", sender=ALICE, minutes=1, body=body),
    ])
    rows = rows_by_mid(db)
    assert rows["copy@gateway"].duplicate_of_id == rows["orig@x"].id
    assert rows["re@x"].thread_id == rows["orig@x"].thread_id
    with db.reader() as session:
        tree = [(m.message_id, d) for m, d in thread_tree(session, rows["orig@x"].thread_id)]
    assert tree == [("orig@x", 0), ("re@x", 1)]


def test_same_body_under_other_subjects_or_parents_is_no_duplicate(db, settings, clock):
    # A patch series or a spammer's posts: same sender, same short body, seconds apart.
    body = "Signed-off-by: Alice\n"
    feed(db, settings, clock, [
        make("p1@x", subject="[PATCH 1/2] roads: add gritting", sender=ALICE, body=body),
        make("p2@x", subject="[PATCH 2/2] roads: add salt", sender=ALICE, minutes=0.5, body=body),
        make("r1@x", subject="Re: Agenda", sender=ALICE, minutes=1, references="<a@x>", body=body),
        make("r2@x", subject="Re: Agenda", sender=ALICE, minutes=1.2, references="<b@x>", body=body),
    ])
    rows = rows_by_mid(db)
    assert all(rows[m].duplicate_of_id is None for m in ("p1@x", "p2@x", "r1@x", "r2@x"))


def test_repeat_delivery_after_near_duplicate_keeps_both_counts(db, settings, clock):
    # The original, a gateway copy with its own Message-ID, then the original again
    # (an MTA retry): three deliveries of one message.
    body = "Minutes attached.\n"
    original = make("orig@x", subject="Minutes", sender=ALICE, body=body)
    feed(db, settings, clock, [original, make("copy@gateway", subject="Minutes", sender=ALICE, minutes=1, body=body)])
    feed(db, settings, clock, [original])
    assert rows_by_mid(db)["orig@x"].delivery_count == 3


def test_reply_without_date_or_references_joins_by_subject(db, settings, clock):
    # Scripts (and the README's smtplib tour) send no Date header: the time received
    # stands in, so the guarded subject fallback can still place the reply.
    question = make("dq@x", subject="Social media policy?", sender=ALICE, to=(BOB,))
    reply = make("dr@x", subject="RE: Social media policy?", sender=BOB, to=(ALICE,), minutes=5)
    question, reply = (re.sub(rb"(?m)^Date:[^\n]*\n", b"", mail, count=1) for mail in (question, reply))
    assert b"Date:" not in question + reply
    feed(db, settings, clock, [question])
    clock.advance(timedelta(minutes=5))
    feed(db, settings, clock, [reply])
    rows = rows_by_mid(db)
    assert rows["dr@x"].thread_id == rows["dq@x"].thread_id
    assert rows["dr@x"].thread_reason == "subject" and rows["dr@x"].parent_id == rows["dq@x"].id
    assert rows["dq@x"].date == clock.now() - timedelta(minutes=5)
    assert "no usable Date header: used the time received" in rows["dq@x"].defects


LIST_ONLY = dict(subject="Re: Gully cleaning")  # written to the list alone: no shared address
ASK = "The gullies on Moor Lane are blocked again after the storm.\nCan someone send a crew before Friday morning?\n"


def test_list_only_reply_joins_the_thread_of_the_author_its_quote_names(db, settings, clock):
    feed(db, settings, clock, [
        make("g1@x", subject="Gully cleaning", sender=f"Pat Lee <{ALICE}>", body=ASK),
        make("g2@x", sender=f"Quin Ray <{BOB}>", minutes=20, body="We cannot before Monday, sorry.\n", **LIST_ONLY),
        make("g3@x", sender=f"Pat Lee <{ALICE}>", minutes=30, body="Monday is fine, thank you all.\n", **LIST_ONLY),
        # Names Pat Lee and quotes her first message's words: that one is the parent.
        make("g4@x", sender=f"Zed Fox <{ZED}>", minutes=60, **LIST_ONLY,
             body=f"I can lend a crew.\n\nOn Mon, 2 Nov 2026 at 09:30, Pat Lee wrote:\n> {ASK.replace(chr(10), chr(10) + '> ')}"),
        # Names Pat Lee only: her latest earlier message is the parent.
        make("g5@x", sender=f"Yan Holt <{YAN}>", minutes=70, **LIST_ONLY,
             body="Noted.\n\nOn Mon, 2 Nov 2026 at 09:30, Pat Lee <alice@leeds.example.gov.uk> wrote:\n> Monday?\n"),
    ])
    snap = snapshot(db)
    assert snap["g2@x"][2] == "new"  # no quote, no shared person: apart
    assert snap["g3@x"][0] == "g1@x"  # the same author carries on
    assert snap["g4@x"][0] == "g1@x" and snap["g4@x"][2] == "subject"
    assert snap["g5@x"][0] == "g3@x" and snap["g5@x"][2] == "subject"
    assert snap["g4@x"][1] == frozenset({"g1@x", "g3@x", "g4@x", "g5@x"})


def test_list_only_reply_quoting_the_parents_lines_joins_it(db, settings, clock):
    feed(db, settings, clock, [
        make("g1@x", subject="Gully cleaning", sender=f"Pat Lee <{ALICE}>", body=ASK),
        make("g2@x", sender=f"Quin Ray <{BOB}>", minutes=20, **LIST_ONLY,
             body=f"Friday is booked.\n\n> {ASK.replace(chr(10), chr(10) + '> ')}"),
    ])
    assert snapshot(db)["g2@x"][:1] == ("g1@x",)
    assert groups(db) == {frozenset({"g1@x", "g2@x"})}


def test_same_subject_with_an_attribution_to_someone_outside_the_thread_stays_apart(db, settings, clock):
    feed(db, settings, clock, [
        make("g1@x", subject="Gully cleaning", sender=f"Pat Lee <{ALICE}>", body=ASK),
        make("g2@x", sender=f"Zed Fox <{ZED}>", minutes=3 * DAY, **LIST_ONLY,
             body="Same here.\n\nOn Thu, 5 Nov 2026, Yan Holt <yan@devon.example.gov.uk> wrote:\n"
                  "> The gullies in Devon are blocked as well since the weekend.\n"),
    ])
    assert groups(db) == {frozenset({"g1@x"}), frozenset({"g2@x"})}
    assert rows_by_mid(db)["g2@x"].thread_reason == "new"


def test_a_late_parent_adopts_the_reply_whose_quote_names_it(db, settings, clock):
    reply = make("g2@x", sender=f"Zed Fox <{ZED}>", minutes=60, **LIST_ONLY,
                 body="I can lend a crew.\n\nOn Mon, 2 Nov 2026, Pat Lee <alice@leeds.example.gov.uk> wrote:\n> Help?\n")
    feed(db, settings, clock, [reply, make("g1@x", subject="Gully cleaning", sender=f"Pat Lee <{ALICE}>", body=ASK)])
    snap = snapshot(db)
    assert snap["g2@x"][0] == "g1@x" and snap["g2@x"][2] == "subject"


def _patch(mid, subject, seconds, sender=f"Jan Kiszka <{ALICE}>"):
    return make(mid, subject=subject, sender=sender, minutes=seconds / 60, body=f"Patch {mid}.\n\n---\n a.c | 2 +-\n")


def test_patch_series_without_headers_hangs_under_its_cover_letter_in_any_order(db, settings, clock):
    series = [
        _patch("c@x", "[PATCH v2 0/3] Cleanups", 0),
        _patch("p1@x", "[PATCH v2 1/3] core: a", 1),
        _patch("p2@x", "[PATCH v2 2/3] core: b", 2),
        _patch("p3@x", "[PATCH v2 3/3] core: c", 3),
        # Same author, same hour, another series: apart.
        _patch("o1@x", "[PATCH 1/2] tools: x", 30),
        _patch("o2@x", "[PATCH 2/2] tools: y", 31),
    ]
    feed(db, settings, clock, series[::-1])  # parts first, cover letter last
    snap = snapshot(db)
    assert groups(db) == {frozenset({"c@x", "p1@x", "p2@x", "p3@x"}), frozenset({"o1@x", "o2@x"})}
    assert {snap[m][0] for m in ("p1@x", "p2@x", "p3@x")} == {"c@x"}
    assert snap["o2@x"][0] == "o1@x" and snap["p3@x"][2] == "subject"


def test_patch_parts_of_another_author_or_after_the_window_stay_apart(db, settings, clock):
    feed(db, settings, clock, [
        _patch("c@x", "[PATCH 0/2] Cleanups", 0),
        _patch("p1@x", "[PATCH 1/2] core: a", 1, sender=f"Ann Lee <{BOB}>"),
        _patch("p2@x", "[PATCH 2/2] core: b", 2 * 3600),
    ])
    assert groups(db) == {frozenset({"c@x"}), frozenset({"p1@x"}), frozenset({"p2@x"})}
