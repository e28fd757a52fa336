"""What an administrator may type as a ban, and which senders a ban covers."""

from __future__ import annotations

import pytest

from replyall.admin.bans import BanError, _candidates, pattern_of


@pytest.mark.parametrize(
    ("typed", "pattern"),
    [
        ("offers@pills.example", "offers@pills.example"),
        ("  Offers@Pills.Example ", "offers@pills.example"),
        ('"Cheap Meds" <offers@pills.example>', "offers@pills.example"),
        ("@pills.example", "@pills.example"),
        ("*@pills.example", "@pills.example"),
        ("@mail.pills.example.", "@mail.pills.example"),
        ("first.last+tag@council.gov.uk", "first.last+tag@council.gov.uk"),
    ],
)
def test_addresses_and_domains_are_accepted_and_normalised(typed, pattern):
    assert pattern_of(typed) == pattern


@pytest.mark.parametrize("typed", ["", "pills", "pills.example", "@", "@localhost", "a b@pills.example",
                                   "offers@", "offers@pills..example", "@-pills.example", "@.example"])
def test_anything_else_says_what_to_type(typed):
    with pytest.raises(BanError, match=r"Give an address \(name@example.org\), or @example.org"):
        pattern_of(typed)


def test_a_sender_is_covered_by_their_address_their_domain_and_its_parents():
    assert _candidates("Sales@Mail.Pills.Example") == [
        "sales@mail.pills.example", "@mail.pills.example", "@pills.example",
    ]
    assert _candidates("no-address") == []
