"""The query language on SQLite and PostgreSQL: every operator, on messages that went through the real pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from replyall.search import QueryError


def subjects(page) -> list[str]:
    return sorted(hit.subject for hit in page.results)


@pytest.fixture
def corpus(mailer):
    mailer.send("Parking permits for staff", "The parking permit scheme starts in April. Budget approved.")
    mailer.send("Winter gritting routes", "Gritting lorries go out at 4am; the budget is tight this year.",
                sender="Bob Jones <bob.jones@nhs.example.uk>", to="Ann Lee <ann.lee@police.example.uk>",
                cc="Carl Wu <carl.wu@council.gov.uk>", date=datetime(2024, 1, 10, 8, 0, tzinfo=UTC))
    mailer.send("Press office rota", "Who covers the press office over Christmas? The rota is attached.",
                sender="Dana Müller <dana.muller@fire.example.uk>", date=datetime(2024, 12, 20, 15, 0, tzinfo=UTC),
                attachments=[("Christmas-rota_2024.xlsx", b"PK\x03\x04 not really a spreadsheet")])
    mailer.send("Social media policy", "Our policy on social media says staff must not post about elections.",
                date=datetime(2025, 6, 1, 9, 0, tzinfo=UTC))
    return mailer


def test_all_words_must_match(corpus, find):
    assert subjects(find("budget")) == ["Parking permits for staff", "Winter gritting routes"]
    assert subjects(find("budget parking")) == ["Parking permits for staff"]
    assert find("budget elections").total == 0


def test_exact_phrase_needs_the_words_in_order(corpus, find):
    assert subjects(find('"parking permit scheme"')) == ["Parking permits for staff"]
    assert find('"scheme permit parking"').total == 0


def test_or_takes_either(corpus, find):
    assert subjects(find("gritting OR elections")) == ["Social media policy", "Winter gritting routes"]
    # OR binds tighter than the implicit AND: budget AND (april OR lorries)
    assert subjects(find("budget april OR lorries")) == ["Parking permits for staff", "Winter gritting routes"]
    assert subjects(find("(april OR lorries) tight")) == ["Winter gritting routes"]


def test_exclusion(corpus, find):
    assert subjects(find("budget -parking")) == ["Winter gritting routes"]
    assert subjects(find('budget -"parking permit"')) == ["Winter gritting routes"]
    # Only exclusions: everything else.
    assert subjects(find("-budget")) == ["Press office rota", "Social media policy"]
    assert subjects(find("-budget -elections")) == ["Press office rota"]
    # A hyphen inside a word is not an exclusion.
    assert find("e-mail").total == 0


def test_prefix(corpus, find):
    assert subjects(find("gritt*")) == ["Winter gritting routes"]
    # police.example.uk is only in To, which plain words do not search; to: does.
    assert subjects(find("polic*")) == ["Social media policy"]
    assert subjects(find("to:polic*")) == ["Winter gritting routes"]
    with pytest.raises(QueryError, match="at least 2"):
        find("p*")


def test_field_operators(corpus, find):
    assert subjects(find("from:bob")) == ["Winter gritting routes"]
    assert subjects(find("from:jane.smith@council.gov.uk")) == ["Parking permits for staff", "Social media policy"]
    assert subjects(find("to:ann")) == ["Winter gritting routes"]
    assert subjects(find("cc:carl")) == ["Winter gritting routes"]
    assert find("to:carl").total == 0 and find("cc:ann").total == 0
    assert subjects(find("subject:policy")) == ["Social media policy"]
    assert find("subject:budget").total == 0
    assert subjects(find('subject:"press office"')) == ["Press office rota"]
    # Plain words do not match recipients: a cc list is not what a message is about.
    assert find("ann").total == 0


def test_a_word_limited_to_a_field_is_marked_only_there(corpus, find):
    def marked(snippet) -> list[str]:
        return [text.casefold() for text, hit in snippet.segments if hit]

    corpus.send("Budget for Bob's team", "Bob asked whether the budget covers gritting.",
                sender="Bob Jones <bob.jones@nhs.example.uk>")
    page = find("from:bob budget")
    assert subjects(page) == ["Budget for Bob's team", "Winter gritting routes"]
    for thread in page.results:
        # "bob" chose the sender; only "budget" is marked, in the subject and in the body.
        assert "bob" not in marked(thread.messages[0].snippet) and "budget" in marked(thread.messages[0].snippet)
        assert "bob" not in marked(thread.subject_snippet)
    bobs = next(t for t in page.results if t.subject.startswith("Budget"))
    assert marked(bobs.subject_snippet) == ["budget"]
    page = find("subject:bob")
    assert marked(page.results[0].subject_snippet) == ["bob"] and marked(page.results[0].messages[0].snippet) == []


def test_dates(corpus, find):
    assert subjects(find("before:2024-06-01")) == ["Winter gritting routes"]
    assert subjects(find("after:2025-01-01")) == ["Parking permits for staff", "Social media policy"]
    assert subjects(find("on:2024-12-20")) == ["Press office rota"]
    assert subjects(find("budget after:2024-01-10")) == ["Parking permits for staff", "Winter gritting routes"]
    assert subjects(find("budget after:2024-01-11")) == ["Parking permits for staff"]
    assert subjects(find("-before:2025-01-01 staff")) == ["Parking permits for staff", "Social media policy"]
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        find("before:2024-13-45")
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        find("on:yesterday")


def test_attachments(corpus, find):
    assert subjects(find("has:attachment")) == ["Press office rota"]
    assert subjects(find("filename:rota")) == ["Press office rota"]
    assert subjects(find("filename:xlsx")) == ["Press office rota"]
    assert subjects(find("christmas -has:attachment")) == []
    with pytest.raises(QueryError, match="has:attachment"):
        find("has:pictures")


def test_accents_and_case_fold(corpus, find):
    assert subjects(find("from:MÜLLER")) == ["Press office rota"]
    assert subjects(find("from:muller")) == ["Press office rota"]
    assert subjects(find("Müller")) == ["Press office rota"]


def test_in_archive_and_thread(mailer, find):
    first = mailer.send("Budget round", "The budget is due.")
    mailer.send("Re: Budget round", "Budget figures attached soon.", in_reply_to=first)
    mailer.send("Budget (private)", "Private budget talk.", archive="private-list")
    assert subjects(find("budget in:private-list")) == ["Budget (private)"]
    assert subjects(find("budget -in:private-list")) == ["Budget round"]
    page = find(f"thread:{mailer.thread_key(first)}")
    assert subjects(page) == ["Budget round"] and page.results[0].match_count == 2
    assert find("thread:0000000000000000").total == 0


def test_quoted_text_is_found_only_with_quoted(mailer, find):
    mailer.send("Recycling bins", "Does anyone have a template for the bin letter?")
    mailer.send(
        "Re: Recycling bins",
        "Yes, ours is on the intranet.\n\nOn Mon, 3 Mar 2025 at 10:00, Jane Smith wrote:\n"
        "> Does anyone have a template for the wheelie letter?\n",
        sender="Bob Jones <bob@nhs.example.uk>",
    )
    assert find("wheelie").total == 0
    page = find("quoted:wheelie")
    assert page.total == 1
    best = page.results[0].best
    assert best.snippet_source == "quote" and "wheelie" in [t for t, hit in best.snippet.segments if hit]
    assert find("intranet quoted:wheelie").total == 1
    assert find("intranet -quoted:wheelie").total == 0


def test_lines_an_interleaved_answer_quotes_are_quoted_text(mailer, find):
    mailer.send("Winter campaign", "Can you send the rota?\n\nAnd is the gritting leaflet printed?")
    mailer.send(
        "Re: Winter campaign",
        "On Mon, 3 Mar 2025 at 10:00, Jane Smith wrote:\n> Can you send the rota?\n\nIt is on the intranet.\n\n"
        "> And is the gritting leaflet printed?\n\nYes, 500 copies.\n",
        sender="Bob Jones <bob@nhs.example.uk>",
    )
    # The leaflet is Jane's word: her message is found, not every answer that quotes it.
    page = find("leaflet")
    assert page.total == 1 and page.results[0].match_count == 1
    assert page.results[0].best.from_address != "bob@nhs.example.uk"
    page = find("quoted:leaflet")
    assert page.total == 1 and page.results[0].match_count == 1
    best = page.results[0].best
    assert best.from_address == "bob@nhs.example.uk"
    assert best.snippet_source == "quote" and "leaflet" in [t for t, hit in best.snippet.segments if hit]
    # The answers themselves are the reply's own words.
    assert find("intranet copies").results[0].best.from_address == "bob@nhs.example.uk"


@pytest.mark.parametrize(
    "query, message",
    [
        ("", "Type something"),
        ("   ", "Type something"),
        ("x" * 10_000, "limit is 1,000"),
        ("\"\" ** -- ''", "Nothing to search for"),
        ("x OR -y", "needs a word"),
        ("(before:2020-01-01 a) OR b", "cannot be combined with OR"),
        ("before:2020-01-01 OR b", "cannot be combined with OR"),
        (" ".join(f"w{i}" for i in range(40)), "Too many words"),
        ("(" * 20 + "a", "nested"),
        ("in:", "needs a value"),
    ],
)
def test_clear_messages_for_queries_that_cannot_run(db, find, query, message):
    with pytest.raises(QueryError, match=message):
        find(query)


def test_signatures_are_not_searched(mailer, find):
    mailer.send("Bin day change", "Bin day moves to Thursday.\n\n-- \nJane Smith\nHead of Zymurgy Services\n")
    assert find("thursday").total == 1
    assert find("zymurgy").total == 0
