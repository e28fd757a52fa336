"""Tests for replyall.mail.subject: threading keys and display subjects."""

import pytest

from replyall.mail.subject import display_subject, is_forward, is_reply, normalize_subject, thread_title


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Lunch", "RE: Lunch", "re:lunch", "Fwd: Lunch", "FW: Lunch", "Fw: Lunch",
        "AW: Lunch", "WG: Lunch", "SV: Lunch", "VS: Lunch", "Antw: Lunch",
        "Antwort: Lunch", "Odp: Lunch", "RIF: Lunch", "R: Lunch", "TR: Lunch",
        "Réf : Lunch", "RÉF: Lunch", "Doorst: Lunch", "答复: Lunch", "回复：Lunch", "转发: Lunch",
        "Re[2]: Lunch", "Re^3: Lunch", "Re(4): Lunch", "Re : Lunch", "Ｒｅ：Lunch",
        "Re: RE: Fwd: AW: lunch", "Re:Re:Re: LUNCH", "[team] Re: Lunch",
        "Re: [team] Re: [team] Lunch", "Lunch (fwd)", "  Re:   Lunch  ", "[Fwd: Lunch]",
    ],
)
def test_prefix_variants_normalise_to_same_key(subject):
    assert normalize_subject(subject) == "lunch"


def test_reference_is_not_a_prefix():
    assert normalize_subject("Reference: invoice") == "reference: invoice"
    assert normalize_subject("Re: Reference: invoice") == "reference: invoice"
    assert normalize_subject("Fwdx: a") == "fwdx: a"
    assert normalize_subject("Rerun: tests") == "rerun: tests"


def test_prefix_only_mid_subject_kept():
    assert normalize_subject("Lunch Re: dinner") == "lunch re: dinner"


def test_white_space_collapsed_and_casefolded():
    assert normalize_subject("  Straße\tMEETING \n  now ") == "strasse meeting now"


def test_empty_and_none():
    assert normalize_subject(None) == "" and normalize_subject("Re:") == ""


def test_is_reply_and_is_forward_use_first_token():
    assert is_reply("Re: x") and not is_forward("Re: x")
    assert is_forward("Fwd: Re: x") and not is_reply("Fwd: Re: x")
    assert is_reply("[list] AW: x")
    assert is_forward("x (fwd)") and is_forward("[Fwd: x]")
    assert not is_reply("Reference: x") and not is_forward("x")


def test_display_subject_strips_tags_only():
    assert display_subject("Re: [team] Re: [team]  Lunch") == "Re: Re: Lunch"
    assert display_subject("[team]   Lunch  plans ") == "Lunch plans"


def test_display_subject_keeps_case_spacing_and_patch_tags():
    assert display_subject("Re:Re:x") == "Re:Re:x"
    assert display_subject("Re：日本") == "Re：日本"
    assert display_subject("Re: [PATCH v2 1/3] mm: fix") == "Re: [PATCH v2 1/3] mm: fix"


def test_display_subject_none():
    assert display_subject(None) == ""


@pytest.mark.parametrize(
    "subject",
    [
        "EXTERNAL: RE: Lunch", "[EXTERNAL] RE: Lunch", "RE: [EXTERNAL] RE: Lunch", "*EXTERNAL* RE: Lunch",
        "**EXTERNAL** RE: Lunch", "EXT: Re: Lunch", "OFFICIAL: RE: Lunch", "OFFICIAL - RE: Lunch",
        "OFFICIAL-SENSITIVE: RE: Lunch", "OFFICIAL - SENSITIVE: PERSONAL: RE: Lunch", "RE: Lunch [OFFICIAL]",
        "RE: Lunch - OFFICIAL", "RE: Lunch (OFFICIAL-SENSITIVE)", "NOT PROTECTIVELY MARKED: RE: Lunch",
        "*****SPAM***** Re: Lunch", "RE: OFFICIAL: RE: Lunch - OFFICIAL",
    ],
)
def test_gateway_tags_and_protective_markings_are_not_the_subject(subject):
    # A reply-all storm among councils, police and NHS trusts carries these on some
    # copies and not others; the conversation must stay one.
    assert normalize_subject(subject) == "lunch"
    assert is_reply(subject)
    assert display_subject(subject).removeprefix("RE: ").removeprefix("Re: ") in ("Lunch", "RE: Lunch")


def test_markings_only_in_capitals_and_at_the_ends():
    assert normalize_subject("External: audit") == "external: audit"
    assert normalize_subject("Official launch") == "official launch"
    assert normalize_subject("Budget - OFFICIAL - draft") == "budget - official - draft"
    assert normalize_subject("RE: EXTRA: x") == "extra: x"
    assert not is_reply("OFFICIAL: Lunch") and normalize_subject("OFFICIAL: Lunch") == "lunch"


def test_thread_title_drops_tags_and_markings_but_never_everything():
    assert thread_title("[comms] OFFICIAL: Winter  plan") == "Winter plan"
    assert thread_title("Re: [PATCH 1/2] fix") == "Re: [PATCH 1/2] fix"
    assert thread_title("[redacted]") == "[redacted]"
    assert thread_title(None) == ""
