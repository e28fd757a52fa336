"""Gateways' rewritten links are put back to the links they wrap."""

import pytest

from replyall.cleaning import clean_text
from replyall.mail.links import unwrap_links

SAFE = (
    "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.anytown.gov.uk%2Fpolicy%3Fa%3D1%26b%3D2"
    "&data=05%7C02%7Cjo.bloggs%40anytown.gov.uk%7C8d0c%7C0%7C0%7C638&sdata=xyz%3D&reserved=0"
)


@pytest.mark.parametrize(
    ("wrapped", "original"),
    [
        (SAFE, "https://www.anytown.gov.uk/policy?a=1&b=2"),
        ("https://urldefense.proofpoint.com/v2/url?u=https-3A__www.example.com_a_b-3Fx-3D1&d=DwMF&c=x",
         "https://www.example.com/a/b?x=1"),
        ("https://urldefense.com/v3/__https://gitlab.com/group/repo/-/issues__;!!ACWV5N9M2RV99hQ!abc$",
         "https://gitlab.com/group/repo/-/issues"),
        ("https://www.google.com/url?q=https://example.org/x&sa=D&source=editors", "https://example.org/x"),
    ],
)
def test_rewritten_links_are_unwrapped(wrapped, original):
    assert unwrap_links(f"See {wrapped} now") == f"See {original} now"
    assert unwrap_links(f"(<{wrapped}>).") == f"(<{original}>)."


def test_what_cannot_be_unwrapped_stays():
    for text in (
        "https://eur01.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)&data=x",
        "https://urldefense.com/v3/__https://example.com/a*b__;Kg!!tok$",  # "*" needs the base64 part
        "https://protect-eu.mimecast.com/s/AbCdEfGh?domain=example.com",
        "plain https://example.com/a. and no gateway",
        "",
    ):
        assert unwrap_links(text) == text


def test_cleaned_parts_show_the_real_link_and_not_the_recipients_address():
    html = f'<p>Our policy is <a href="{SAFE}">on the website</a>.</p><p>Jo</p>'
    c = clean_text("", html=html, use_ml=False)
    assert "https://www.anytown.gov.uk/policy?a=1&b=2" in c.body
    assert "safelinks" not in c.original and "jo.bloggs" not in c.original


def test_a_rewritten_link_cut_by_line_wrapping_stays():
    cut = "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2"
    assert unwrap_links(f"> {cut}\n> F%2Fexample.com") == f"> {cut}\n> F%2Fexample.com"


def test_a_cut_safe_link_loses_the_recipients_address():
    text = (
        "> https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fgrou\n"
        "> ps.google.com%2Fd%2Fmsgid&amp;data=05%7C02%7Cjo.bloggs%40anytown.gov.uk%7C8d0c%7C0\n"
    )
    out = unwrap_links(text)
    assert "jo.bloggs" not in out and "anytown.gov.uk" not in out
    assert out.startswith("> https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fgrou\n")
    assert "data=05%7C02%7C%7C8d0c" in out


def test_the_recipient_goes_even_when_the_host_was_cut_too():
    text = "> https://eur01.safelinks.protection.outloo\n> k.com/?url=x&amp;data=02%7C01%7Cpeng.fan%40nxp.com%7Ca21a"
    assert "peng.fan" not in unwrap_links(text) and unwrap_links(text).endswith("data=02%7C01%7C%7Ca21a")
