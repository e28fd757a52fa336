"""HTML rendering and HTML quote markers (Gmail, Apple, Thunderbird, Outlook web and desktop)."""

import pytest

from replyall.cleaning import clean_text
from replyall.mail.html import html_to_text


def test_html_to_text_structure():
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<p>Hello <b>all</b>,</p><p>line one<br>line two</p>"
        "<ul><li>apples</li><li>pears</li></ul><ol start='3'><li>three</li></ol>"
        "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"
        "<p><a href='https://example.org/x'>the report</a> and <a href='https://example.org'>https://example.org</a></p>"
        "<script>evil()</script><div style='display:none'>preheader</div></body></html>"
    )
    assert html_to_text(html) == (
        "Hello all,\n\nline one\nline two\n\n- apples\n- pears\n\n3. three\n\nA | B\n1 | 2\n\n"
        "the report <https://example.org/x> and https://example.org"
    )


def test_html_to_text_edge_cases():
    assert html_to_text("") == ""
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>x&nbsp;y</p>') == "x y"
    assert html_to_text("<pre>a\n  b</pre>") == "a\n  b"
    assert html_to_text("<blockquote>q</blockquote>") == "> q"
    # A line holding only a no-break space shows empty, as "<div><br></div>" does; a space in text is no line.
    assert html_to_text("<div>a</div><div>&nbsp;</div><div>b</div>") == "a\n\nb"
    assert html_to_text("<div>a</div><div><span>&nbsp;</span></div><div>b</div>") == "a\n\nb"
    assert html_to_text("<div>a&nbsp;</div><div>b</div>") == "a\nb"


def test_outlook_paragraphs_without_margins_are_lines():
    # Outlook writes each line as a margin-less paragraph and a blank line as one holding
    # a no-break space; it reads as typed, as in Outlook's own text/plain part.
    mso = "".join(f"<p class=MsoNormal>{t}<o:p></o:p></p>" for t in ("Hi all,", "&nbsp;", "Ann Smith", "Press Office"))
    assert html_to_text(mso) == "Hi all,\n\nAnn Smith\nPress Office"
    styled = '<p style="margin-top:0px;margin-bottom:0px">one</p><p style="margin: 0">two</p><p>three</p>'
    assert html_to_text(styled) == "one\ntwo\n\nthree"
    # Paragraphs with margins stay paragraphs.
    assert html_to_text('<p style="margin-top:0">a</p><p style="margin:0 0 12pt">b</p>') == "a\n\nb"


REPLY = "<div>Sounds good to me.</div>"


@pytest.mark.parametrize(
    "quote",
    [
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Bob wrote:</div><blockquote>old</blockquote></div>',
        '<blockquote type="cite"><div>old</div></blockquote>',
        '<div class="moz-cite-prefix">On 01/01/2024 Bob wrote:</div><blockquote type="cite">old</blockquote>',
        '<hr><div id="divRplyFwdMsg"><b>From:</b> Bob<br><b>Sent:</b> Monday</div><div>old</div>',
        '<div id="appendonsend"></div><hr><div>From: Bob Sent: Monday</div><div>old</div>',
        '<div id="mail-editor-reference-message-container"><div>old</div></div>',
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        "<p><b>From:</b> Bob<br><b>Sent:</b> Monday</p></div><p>old</p>",
    ],
)
def test_html_quote_markers(quote):
    c = clean_text("", html=f"<html><body>{REPLY}{quote}</body></html>", use_ml=False)
    assert c.body == "Sounds good to me."
    assert "old" in c.quote


GMAIL_QUOTE = '<div class="gmail_quote"><div class="gmail_attr">On Mon, Bob wrote:</div><blockquote>old</blockquote></div>'
LIST_FOOTER = (
    "<div><br></div><div>-- <br>You received this message because you are subscribed to the Google Groups &quot;Comms&quot; group."
    "<br>To unsubscribe from this group, send an email to comms+unsubscribe@googlegroups.example.</div>"
)


def test_reply_written_below_an_html_quote_is_the_body():
    html = '<div><blockquote class="gmail_quote">Adjust the config.</blockquote><div>Done, and it works now.</div></div>'
    c = clean_text("", html=html, use_ml=False)
    assert c.body == "Done, and it works now." and "Adjust the config." in c.quote


def test_list_footer_after_an_html_quote_is_disclaimer_not_quote():
    c = clean_text("", html=f"<html><body>{REPLY}{GMAIL_QUOTE}{LIST_FOOTER}</body></html>", use_ml=False)
    assert c.body == "Sounds good to me." and "old" in c.quote
    assert c.disclaimer.startswith("--") and "Google Groups" in c.disclaimer and "Google" not in c.quote


def test_answer_between_html_quotes_stays_body_above_the_footer():
    html = f"<div>Hi Jan,</div>{GMAIL_QUOTE}<div>One more thing: the venue moved.</div>{LIST_FOOTER}"
    c = clean_text("", html=html, use_ml=False)
    assert c.body.startswith("Hi Jan,") and c.body.endswith("One more thing: the venue moved.")
    assert "Google Groups" in c.disclaimer


def test_message_wrapped_whole_in_quote_markup_keeps_its_content():
    # Some clients (and forwards without a note) put the entire text inside gmail_quote.
    html = '<div dir="ltr"><br><div class="gmail_quote"><div dir="ltr">Hi,<br>I am trying to run the demo.</div></div></div>'
    c = clean_text("", html=html, use_ml=False)
    assert c.body == "Hi,\nI am trying to run the demo."


def test_gmail_reply_typed_below_the_blockquote_inside_gmail_quote_is_the_body():
    html = (
        '<div dir="ltr">On Mon, Jan wrote:<br></div><div class="gmail_quote"><blockquote class="gmail_quote">'
        "Could you help with validating this?</blockquote><div><br></div><div>Verified with 2G and 4G boards.<br><br>"
        "Jakub</div></div>"
    )
    c = clean_text("", html=html, use_ml=False)
    assert "Verified with 2G and 4G boards." in c.body and "validating" in c.quote


def test_thunderbird_answer_written_below_the_cited_quote_stays_body():
    html = (
        "<p>Hi Bob,</p>"
        '<div class="moz-cite-prefix">On 01/01/2026 Bob wrote:<br></div>'
        '<blockquote type="cite">Which room is it in?</blockquote>'
        "<p>Room 4, on the second floor.</p>"
    )
    c = clean_text("", html=html, use_ml=False)
    assert c.body.startswith("Hi Bob,") and c.body.endswith("Room 4, on the second floor.")
    assert "Which room" in c.quote and "Bob wrote" in c.quote


LINKS = '<div><a href="https://www.anytown.gov.uk/a/long/link/to/our/social/channels/and/more">Our social channels</a></div>'


@pytest.mark.parametrize("card", [
    f'<div class="gmail_signature" data-smartmail="gmail_signature"><div>Ann Smith</div><div>Digital Lead</div>{LINKS}</div>',
    f'<p class=MsoNormal><a name="_MailAutoSig">Ann Smith</a></p><p class=MsoNormal>Digital Lead</p>{LINKS}',
    f'<div id="Signature"><div>Ann Smith</div><div>Digital Lead</div>{LINKS}</div>',
    f'<div class="moz-signature">Ann Smith<br>Digital Lead{LINKS}</div>',
])
def test_the_signature_a_client_marks_is_the_signature(card):
    quote = '<div class="gmail_quote"><div class="gmail_attr">On Mon, Bob wrote:</div><blockquote>old</blockquote></div>'
    c = clean_text("", html=f"<div>Happy to share ours.</div><div><br></div>{card}{quote}", use_ml=False)
    assert c.body == "Happy to share ours."
    assert c.signature.startswith("Ann Smith\nDigital Lead") and "social channels" in c.signature
    assert c.quote.endswith("> old") and "\ue000" not in c.original


def test_a_signature_marked_inside_the_quote_or_holding_everything_is_not_the_authors():
    quoted = ('<div>Yes.</div><div class="gmail_quote"><div class="gmail_attr">On Mon, Bob wrote:</div>'
              '<blockquote>Question?<div class="gmail_signature">Bob Jones</div></blockquote></div>')
    c = clean_text("", html=quoted, use_ml=False)
    assert c.body == "Yes." and c.signature == "" and "Bob Jones" in c.quote
    only = clean_text("", html='<div id="Signature"><div>Ann Smith</div><div>Comms</div></div>', use_ml=False)
    assert only.body == "Ann Smith\nComms" and only.signature == ""
