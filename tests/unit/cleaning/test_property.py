"""Cleaning never drops text: the parts hold every non-whitespace token of the original."""

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replyall.cleaning import clean_text

PIECES = [
    "Thanks,", "Ann", "-- ", "Sent from my iPhone", "> quoted", ">", "From: Bob <b@x.org>",
    "Sent: Monday, 1 January 2024 10:00", "To: All", "Subject: RE: x", "-----Original Message-----",
    "On Mon, Jan 1, 2024 at 10:00 AM Bob <b@x.org> wrote:", "CAUTION: external email",
    "This email is confidential and intended solely for the addressee.", "+44 20 7946 0000",
    "www.example.org", "________________________________", "", "",
]
line = st.one_of(st.sampled_from(PIECES), st.text(min_size=0, max_size=40))


def tokens(s: str) -> Counter:
    return Counter(s.split())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, max_size=25))
def test_parts_account_for_the_original(lines):
    text = "\n".join(lines)
    c = clean_text(text, use_ml=False)
    parts = tokens(c.body) + tokens(c.quote) + tokens(c.signature) + tokens(c.disclaimer)
    assert parts == tokens(c.original)
    assert tokens(c.original) == tokens(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<br>", "<blockquote type='cite'>",
                                 "</blockquote>", "<div class='gmail_quote'>", "word", "From: Bob", "Sent: x"]),
                max_size=30))
def test_html_parts_account_for_the_rendering(pieces):
    c = clean_text("", html="".join(pieces), use_ml=False)
    parts = tokens(c.body) + tokens(c.quote) + tokens(c.signature) + tokens(c.disclaimer)
    assert parts == tokens(c.original)
