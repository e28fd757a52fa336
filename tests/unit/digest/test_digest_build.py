"""Acknowledgements, excerpts and thread selection of the pure summary builder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from replyall.digest.build import MessageIn, ThreadIn, build_digest, excerpt, is_acknowledgement

START, END = datetime(2026, 11, 19, 7, tzinfo=UTC), datetime(2026, 11, 20, 7, tzinfo=UTC)


@pytest.mark.parametrize("body", [
    "+1", "+1\n\nThanks, Cy", "Thanks!", "thank you", "Many thanks, Jo Bloggs", "Me too please",
    "Same here.", "THANK YOU 🙏", "Hi all, +1 from me", "Please remove me from this list", "Thanks all\nKind regards\nSam",
])
def test_acknowledgements(body):
    assert is_acknowledgement(body)


@pytest.mark.parametrize("body", [
    "", "Thanks for asking: we use Canva Pro, ten seats.", "We do", "Me too, and we found the licence terms unclear",
    "No thanks", "Yes, see attached policy.", "thanks " * 20,
])
def test_not_acknowledgements(body):
    assert not is_acknowledgement(body)


def test_excerpt_cuts_at_a_word_boundary():
    body = "word " * 100
    cut = excerpt(body, 300)
    assert cut.endswith("…") and len(cut) <= 301 and not cut[:-1].endswith(" ") and "word word" in cut
    assert excerpt("Short\n\n  answer.", 300) == "Short answer."
    long_word = "x" * 400
    assert excerpt(long_word, 300) == "x" * 300 + "…"


def msg(id, thread, who, when, body="A real answer with substance.", **kw) -> MessageIn:
    return MessageIn(id, thread, who.title(), f"{who}@example.gov.uk", when, when, body, **kw)


def test_selection_order_and_noise():
    t1 = ThreadIn(1, "k1", "Busy", START - timedelta(days=1), END)
    t2 = ThreadIn(2, "k2", "Quiet", START + timedelta(hours=1), END)
    t3 = ThreadIn(3, "k3", "Hidden only", START, END)
    messages = [
        msg(1, 1, "ann", START - timedelta(days=1)),
        msg(2, 1, "bob", START + timedelta(hours=2)),
        msg(3, 1, "cy", START + timedelta(hours=3), "+1"),
        msg(4, 1, "dee", START + timedelta(hours=4), "Out of office", kind="auto_reply"),
        msg(5, 1, "ed", START + timedelta(hours=5), redacted=True),
        msg(6, 2, "fay", START + timedelta(hours=1)),
        msg(7, 3, "gil", START + timedelta(hours=1), hidden=True),
        # Arrived in the window but dated two years ago: an import, not news.
        MessageIn(8, 1, "Old", "old@example.gov.uk", START - timedelta(days=700), START + timedelta(hours=2), "Old mail"),
    ]
    d = build_digest(archive_slug="a", archive_name="A", day=date(2026, 11, 20), window_start=START, window_end=END,
                     threads=[t2, t1, t3], messages=messages, thread_url=lambda k: f"/t/{k}")
    assert [t.key for t in d.threads] == ["k1", "k2"]
    busy, quiet = d.threads
    assert (busy.is_new, busy.new_count, busy.authors, busy.ack_count, busy.ack_authors) == (False, 3, ["Bob", "Cy", "Ed"], 2, ["Cy", "Ed"])
    assert [e.author for e in busy.excerpts] == ["Bob"]
    assert (quiet.is_new, quiet.new_count, quiet.url) == (True, 1, "/t/k2")
    assert d.message_count == 4 and not d.is_empty


def test_unanswered_and_obfuscation():
    asked = START - timedelta(days=3)
    threads = [
        ThreadIn(1, "k1", "Only a +1", asked, asked),
        ThreadIn(2, "k2", "Asker follows up", asked, asked),
        ThreadIn(3, "k3", "Answered", asked, asked),
        ThreadIn(4, "k4", "Too old", START - timedelta(days=8), START - timedelta(days=8)),
    ]
    messages = [
        msg(1, 1, "ann", asked), msg(2, 1, "bob", asked + timedelta(hours=1), "+1 same question"),
        msg(3, 2, "cy", asked), msg(4, 2, "cy", asked + timedelta(hours=1), "Anyone? Still looking."),
        msg(5, 3, "dee", asked), msg(6, 3, "ed", asked + timedelta(hours=1)),
        msg(7, 4, "fay", START - timedelta(days=8)),
        MessageIn(8, 1, "", "nameless@example.gov.uk", START + timedelta(hours=1), START + timedelta(hours=1), "+1"),
    ]
    d = build_digest(archive_slug="a", archive_name="A", day=date(2026, 11, 20), window_start=START, window_end=END,
                     threads=threads, messages=messages, thread_url=str, obfuscate=True)
    assert [u.key for u in d.unanswered] == ["k1", "k2"]
    assert d.threads[0].ack_authors == ["nameless at example.gov.uk"]


def test_interleaved_answers_are_summed_up_by_what_their_author_wrote():
    thread = ThreadIn(1, "k1", "Rota", START - timedelta(days=1), END)
    wrote = "On Tue, 3 Mar 2026 at 10:02, Ann Example <ann@example.gov.uk> wrote:"
    messages = [
        msg(1, 1, "ann", START - timedelta(days=1)),
        msg(2, 1, "bob", START + timedelta(hours=1),
            f"{wrote}\n> Can you send the rota?\n\nIt is on the shared drive.\n\n> And the press release?\n\nFriday."),
        msg(3, 1, "cy", START + timedelta(hours=2), f"{wrote}\n> Any views on the draft?\n> It is long.\n\nThanks!"),
    ]
    d = build_digest(archive_slug="a", archive_name="A", day=date(2026, 11, 20), window_start=START, window_end=END,
                     threads=[thread], messages=messages, thread_url=lambda k: f"/t/{k}")
    (summary,) = d.threads
    assert [e.text for e in summary.excerpts] == ["It is on the shared drive. Friday."]
    assert summary.ack_authors == ["Cy"]  # a "Thanks!" under a quote is still an acknowledgement
