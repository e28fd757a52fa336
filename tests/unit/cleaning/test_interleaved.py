"""Interleaved replies: the answers and what they answer are the body, the history below them is not."""

from replyall.cleaning import clean_text
from replyall.cleaning.quotes import answers_only, split_answers

WROTE = "On Tue, 3 Mar 2026 at 10:02, Ann Example <ann@northshire.gov.uk> wrote:"
FOOTER = "-- \nYou received this message because you are subscribed to the comms-network group."
OUTLOOK = (
    "-----Original Message-----\n"
    "From: Ann Example <ann@northshire.gov.uk>\n"
    "Sent: 03 March 2026 10:02\n"
    "To: comms-network@archive.example.org\n"
    "Subject: Winter campaign\n"
)


def _clean(text: str, **kw):
    return clean_text(text, use_ml=False, **kw)


def _interleaved(after: str) -> str:
    return (
        f"{WROTE}\n> Can you send the rota?\n\nYes, it is on the shared drive.\n\n"
        "> And the press release?\n\nIt goes out on Friday.\n\n"
        "> Thanks for all your help this week.\n>\n> Ann\n> Head of Communications\n"
        f"{after}"
    )


def test_quote_left_below_the_last_answer_is_quote():
    c = _clean(_interleaved(""))
    assert c.body.startswith(WROTE)
    assert "> Can you send the rota?" in c.body and "> And the press release?" in c.body
    assert c.body.endswith("It goes out on Friday.")
    assert c.quote == "> Thanks for all your help this week.\n>\n> Ann\n> Head of Communications"


def test_signature_and_footer_below_the_left_quote_keep_their_parts():
    c = _clean(_interleaved(f"\n-- \nBen Jones\nPress Officer\n\n{FOOTER}\n"))
    assert c.body.endswith("It goes out on Friday.")
    assert c.quote.startswith("> Thanks for all your help")
    assert c.signature == "-- \nBen Jones\nPress Officer"
    assert c.disclaimer == FOOTER


def test_sign_off_below_the_left_quote_is_the_signature():
    c = _clean(_interleaved("\nThanks,\nBen\n"))
    assert c.body.endswith("It goes out on Friday.")
    assert c.quote.startswith("> Thanks for all your help")
    assert c.signature == "Thanks,\nBen"


def test_an_answer_below_the_last_quote_keeps_the_quote_it_answers():
    c = _clean(_interleaved("\nYou are welcome.\n"))
    assert "> Thanks for all your help this week." in c.body
    assert c.body.endswith("You are welcome.") and c.quote == ""
    # A one-word answer is an answer too, not a sign-off.
    c = _clean(_interleaved("\nYes\n"))
    assert "> Thanks for all your help this week." in c.body and c.body.endswith("Yes")


def test_attribution_of_a_second_quote_left_below_goes_with_it():
    text = _interleaved("\nOn Mon, 2 Mar 2026 at 16:40, Tom Hill <tom@northshire.gov.uk> wrote:\n> Who has the rota?\n")
    c = _clean(text)
    assert c.body.endswith("It goes out on Friday.")
    assert c.quote.startswith("> Thanks for all your help")
    assert "\nOn Mon, 2 Mar 2026 at 16:40, Tom Hill" in c.quote and c.quote.endswith("> Who has the rota?")


def test_outlook_history_below_inline_answers_is_quote():
    # Answers typed between ">" lines at the top, then Outlook's header block and the
    # whole earlier message, unquoted: talon keeps the lot as the reply.
    text = (
        "Hi Ann,\n\n> Can you send the rota?\n\nAttached.\n\n> And the press release?\n\nFriday.\n\n"
        f"Ben\n\n{OUTLOOK}\nHi Ben,\n\nCan you send the rota? And the press release?\n\nThanks,\nAnn\n"
    )
    c = _clean(text)
    assert c.body.endswith("Friday.\n\nBen") and "> Can you send the rota?" in c.body
    assert c.quote.startswith("-----Original Message-----") and c.quote.endswith("Thanks,\nAnn")
    assert "Hi Ben," not in c.body


def test_outlook_history_holding_an_interleaved_reply_is_quote():
    # A top-posted reply; the history below it is itself an answer between ">" lines.
    text = (
        "Thanks Ann, that is clear now.\n\nBen\n\n"
        f"{OUTLOOK}\n{WROTE}\n> Is the campaign on the 5th?\n\nNo, the 12th.\n\n> Who signs it off?\n\nThe director.\n"
    )
    c = _clean(text)
    assert c.body == "Thanks Ann, that is clear now.\n\nBen"
    assert c.quote.startswith("-----Original Message-----") and c.quote.endswith("The director.")


def test_banner_over_quoted_headers_heads_an_interleaved_reply():
    # Zimbra quotes the old headers with ">" too: the answers between them are the reply.
    text = (
        "Ann,\n\n----- Original Message -----\n> From: \"Ann Example\" <ann@northshire.gov.uk>\n"
        "> Can you send the rota?\n\nAttached.\n\n> And the press release?\n\nIt goes out on Friday.\n"
    )
    c = _clean(text)
    assert "Attached." in c.body and c.body.endswith("It goes out on Friday.")


def test_elision_in_brackets_is_not_an_answer():
    text = f"Hi Ann,\n\n{WROTE}\n\n(...)\n\n> Can you send the rota?\n\nAttached.\n\n> And the press release?\n\nFriday.\n"
    c = _clean(text)
    assert "Attached." in c.body and c.body.endswith("Friday.")


def test_a_citation_that_ends_in_writes_is_not_a_quote_header():
    # Any digit used to do: a commit id made this sentence a header, and all below it quote.
    text = "The kernel commit c55af7f719cb writes:\n\nSuch a mismatch could be intentional.\n\nSo we keep the warning."
    c = _clean(text)
    assert c.quote == "" and c.body.endswith("So we keep the warning.")


def test_pasted_git_patch_is_content():
    patch = (
        "From 1850220c870f5ae118508d0023e17e7050ff7d7f Mon Sep 17 00:00:00 2001\n"
        "From: Ben Jones <ben@northshire.gov.uk>\nDate: Tue, 3 Mar 2026 10:02:00 +0000\n"
        "Subject: [PATCH] rota: add the weekend shifts\n\n"
        "The weekend desk was missing from the rota.\n\nSigned-off-by: Ben Jones <ben@northshire.gov.uk>\n"
        "---\n rota.txt | 2 ++\n 1 file changed, 2 insertions(+)\n"
    )
    c = _clean(patch)
    assert c.body.startswith("The weekend desk was missing") and "rota.txt | 2 ++" in c.body
    assert c.quote.startswith("From 1850220c") and c.quote.endswith("Subject: [PATCH] rota: add the weekend shifts")
    # Under a note, the patch is content too, as a forward is.
    c = _clean("Here is the first version, for the record.\n\n" + patch)
    assert "The weekend desk was missing" in c.body and c.quote == ""


def test_long_quote_followed_by_an_answer_keeps_the_answer():
    # The quote finder reads the first 1000 lines only; a ">" run cut there may end anywhere.
    quoted = "\n".join(f"> line {n} of the draft policy" for n in range(1200))
    c = _clean(f"{WROTE}\n{quoted}\n\nLooks good to me, approved.\n")
    assert c.body == "Looks good to me, approved."
    assert c.quote.startswith(WROTE) and c.quote.endswith("> line 1199 of the draft policy")


def test_long_outlook_history_is_quote_to_the_end():
    history = "\n".join(f"Paragraph {n} of the earlier message." for n in range(1200))
    c = _clean(f"Agreed, thanks.\n\n{OUTLOOK}\n{history}\n")
    assert c.body == "Agreed, thanks."
    assert c.quote.endswith("Paragraph 1199 of the earlier message.")
    # Also when the history quotes older mail with ">" where the quote finder stops reading.
    older = "\n".join(f"> Line {n} of the oldest message." for n in range(1200))
    c = _clean(f"Agreed, thanks.\n\n{OUTLOOK}\nSee below.\n\n{WROTE}\n{older}\n")
    assert c.body == "Agreed, thanks."
    assert c.quote.endswith("> Line 1199 of the oldest message.")


def test_text_below_a_pasted_patchs_git_trailer_is_not_a_signature():
    text = ("The patch I applied:\n\n---\n rota.txt | 2 ++\n 1 file changed\n-- \n2.39.2\n\n"
            "Since then the build fails on the weekend desk.\n\nAny ideas?")
    c = _clean(text)
    assert c.body.endswith("Any ideas?") and c.signature == ""
    # At the very end, git's trailer is the patch's signature, as before.
    assert _clean("Fix the rota.\n\n---\n rota.txt | 2 ++\n-- \n2.39.2\n").signature == "-- \n2.39.2"


def test_html_reply_quoting_again_below_its_answer():
    html = (
        '<div dir="ltr">Hi Ann,<div class="gmail_quote"><div class="gmail_attr">' + WROTE.replace("<", "&lt;").replace(">", "&gt;")
        + '</div><blockquote class="gmail_quote">Can you send the rota?</blockquote><div>Yes, it is attached.</div>'
        '<blockquote class="gmail_quote">And thanks for this week.<br><br>Ann</blockquote></div>'
        "<div>-- <br>Ben Jones<br>Press Officer</div></div>"
    )
    c = _clean("", html=html)
    assert c.body == "Hi Ann,\n\nYes, it is attached."
    assert c.quote.endswith("> And thanks for this week.\n>\n> Ann")
    assert c.signature.endswith("Ben Jones\nPress Officer")


def test_two_quoted_lines_below_an_html_replys_answer_are_quote():
    # talon keeps fewer than three ">" lines without a header as text; the marked quote
    # above is their header.
    html = (
        '<div dir="ltr">Hi Ann,<blockquote class="gmail_quote">Can you send the rota?</blockquote>'
        '<div>Yes, it is attached.</div><div><br></div><div>Ben</div>'
        '<blockquote class="gmail_quote"><br>Ann</blockquote></div>'
    )
    c = _clean("", html=html)
    assert c.body == "Hi Ann,\n\nYes, it is attached.\n\nBen"
    assert c.quote.endswith("> Ann")


def test_nothing_is_lost():
    for text in (_interleaved(f"\n-- \nBen\n\n{FOOTER}\n"), _interleaved("\nThanks,\nBen\n")):
        c = _clean(text)
        kept = "".join(t for _, t in c.parts)
        assert "".join(kept.split()) == "".join(text.split())


def test_split_answers_separates_what_an_interleaved_reply_quotes():
    body = (f"{WROTE}\n> Can you send the rota?\n\nIt is on the shared drive.\n\n"
            "> And the press release?\n\nFriday.")
    own, answered = split_answers(body)
    assert own.split() == "It is on the shared drive. Friday.".split()
    assert answered.startswith(WROTE) and "> And the press release?" in answered
    assert answers_only(body) == own
    # Without ">" lines there is nothing to take out; an "On ... wrote:" above text is not an attribution.
    assert split_answers("All agreed.\n\nBen") == ("All agreed.\n\nBen", "")
    text = f"{WROTE}\nWe should meet on Friday.\n\n> Agreed?\nYes."
    assert split_answers(text) == (f"{WROTE}\nWe should meet on Friday.\n\nYes.", "> Agreed?")


def test_quoted_line_ending_in_a_header_is_not_split_off():
    # Nested quotes padded with no-break spaces: "> >\xa0 \xa0> On ..., Tom wrote:" stays one quoted line.
    text = ("Agreed.\n\nThanks,\nBen\n\n> Tom said this is fine.\n>\n"
            ">  >\u00a0 \u00a0 > On 5 Jan 2023 at 18:21, Tom Hill <tom@northshire.gov.uk> wrote:\n>  >\u00a0 \u00a0 >> Fixed.\n")
    c = _clean(text)
    assert c.body == "Agreed." and c.signature == "Thanks,\nBen"
    assert c.quote.startswith("> Tom said") and ">  >\u00a0 \u00a0 > On 5 Jan 2023 at 18:21" in c.quote


def test_a_line_or_two_starting_with_a_bracket_at_the_end_are_text():
    # talon's rule: fewer than three ">" lines and no header are not a quote.
    c = _clean("> Can you send the rota?\n\nYes, attached.\n\nThe policy says:\n> Staff must not post about elections.")
    assert c.body.endswith("> Staff must not post about elections.") and c.quote == ""
