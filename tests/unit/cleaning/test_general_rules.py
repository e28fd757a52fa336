"""Rules added after studying the strip suites' misses; each with a fixture of our own."""

from replyall.cleaning import clean_text

WROTE = "On Tue, 3 Mar 2026 at 10:02, Ann Example <ann@northshire.gov.uk> wrote:"


def _clean(text: str, **kw):
    return clean_text(text, use_ml=False, **kw)


def test_quoted_on_wrote_line_is_not_split_into_reply_text():
    c = _clean(f"Thanks, will do.\n> {WROTE}\n>\n> Can someone send the rota?")
    assert c.body == "Thanks, will do."
    assert c.quote.startswith(f"> {WROTE}")


def test_yahoo_dashed_on_wrote_header_leaves_no_dash_in_the_body():
    c = _clean(f"Yes, Thursday works.\n\nBen\n\n--- {WROTE}\n\nCan we meet?")
    assert c.text("body", "signature") == "Yes, Thursday works.\n\nBen"
    assert c.quote.startswith("--- On Tue")


def test_wrapped_header_starts_at_its_opener_not_at_the_device_line_above():
    text = (
        "Fine by me.\n\nSent from Outlook for Android<https://aka.ms/ghei36>\n"
        "On Tue, 3 Mar 2026 at 10:02, Ann Example <ann@northshire.gov.uk<\n"
        "mailto:ann@northshire.gov.uk>> wrote:\nOriginal question here."
    )
    c = _clean(text)
    assert c.body == "Fine by me."
    assert c.signature.startswith("Sent from Outlook for Android")
    assert c.quote.startswith("On Tue")


def test_rule_drawn_above_a_header_block_belongs_to_the_quote():
    html = (
        "<div>See you there.<br><hr>From: Ann Example<br>Sent: 3 March 2026 10:02<br>"
        "To: Comms<br>Subject: Venue<br><br>Where is it?</div>"
    )
    c = clean_text("", html=html, use_ml=False)
    assert c.body == "See you there."
    assert c.quote.startswith("---")
    plain = _clean("See you there.\n\n====\n\nFrom: Ann\nSent: 3 March 2026\nSubject: Venue\n\nWhere is it?")
    assert plain.body == "See you there." and plain.quote.startswith("====")


def test_tail_of_a_rewrapped_quoted_line_stays_in_the_quote():
    text = (
        "Agreed.\n\n" + WROTE + "\n"
        "> We will need volunteers for the Saturday stall and the Sunday parade, so\n"
        "please reply by Friday.\n"
        ">\n> Ann\n\n-- \nBen Jones\nPress Office"
    )
    c = _clean(text)
    assert c.body == "Agreed."
    assert "please reply by Friday." in c.quote
    assert c.signature.startswith("--")  # the author's signature below the quote


def test_short_interleaved_answer_between_quoted_lines_stays_body():
    text = f"{WROTE}\n> Can you come on Saturday?\nYes.\n> And bring the banner?\nNo, Tom has it."
    c = _clean(text)
    assert "Yes." in c.body and "No, Tom has it." in c.body


def test_old_gmail_date_and_address_line_above_a_quote_is_a_header():
    c = _clean("Sounds good\n2026/3/4 Ann Example <ann@northshire.gov.uk>\n\n> Shall we go ahead?\n> Ann")
    assert c.body == "Sounds good"
    assert c.quote.startswith("2026/3/4")
    # Without a quote below, such a line is just text.
    c = _clean("Meeting notes\n2026/3/4 Ann Example <ann@northshire.gov.uk>\nAll agreed.")
    assert "2026/3/4" in c.body


def test_list_footer_below_the_quote_is_disclaimer():
    footer = "_______________________________________________\ncomms mailing list\nhttps://lists.example.org/mailman/listinfo/comms"
    c = _clean(f"Count me in.\n\n{WROTE}\n> Who is coming?\n\n{footer}\n")
    assert c.body == "Count me in."
    assert c.disclaimer == footer


def test_message_that_is_only_a_forwarded_header_block_keeps_its_content_as_body():
    text = (
        "From: Ann Example <ann@northshire.gov.uk>\nSent: 3 March 2026 10:02\nTo: Comms\nSubject: Venue\n\n"
        "The venue has moved to the Town Hall.\n\nKind regards,\nAnn\n\n"
        f"{WROTE}\n> Where is it?"
    )
    c = _clean(text)
    assert c.body == "The venue has moved to the Town Hall."
    assert c.signature == "Kind regards,\nAnn"
    assert c.quote.startswith("From: Ann Example") and "> Where is it?" in c.quote


def test_name_signed_with_a_dash_or_slash_is_a_signature():
    assert _clean("Happy to help.\n\n-Ann Example").signature == "-Ann Example"
    assert _clean("I am away until May.\n\n/John").signature == "/John"
    # The last item of a list is not a signature.
    c = _clean("Agenda:\n\n- Welcome\n\n- Budget")
    assert c.signature == "" and c.body.endswith("- Budget")
    assert _clean("We agreed.\n\n- lower case is prose").signature == ""


def test_abbreviated_and_unaccented_sign_offs():
    assert _clean("Hej,\n\nSvar.\n\nKh\nPeter").signature == "Kh\nPeter"
    assert _clean("Czesc,\n\nDziekuje.\n\nZ powazaniem,\nJan").signature == "Z powazaniem,\nJan"


def test_learned_block_never_takes_the_whole_message():
    from replyall.cleaning import BoilerplateLearner, MemoryBoilerplateStore

    plea = "Please remove me from this distribution list, I should not be on it"
    learner = BoilerplateLearner(MemoryBoilerplateStore())
    for who in ("ann@a.gov.uk", "bob@b.nhs.uk", "cat@c.police.uk"):
        learner.observe(f"{plea}\n\nThanks\n{who.split('@')[0].title()}", who)
    # A storm's plea, sent by many, is what this message says: it stays the body.
    c = clean_text(f"{plea}\n\nThanks\nDan", from_address="dan@d.gov.uk", boilerplate=learner, use_ml=False)
    assert c.body.startswith(plea) and c.disclaimer == ""
    # Above a real reply the same learned block is still a banner.
    c = clean_text(f"{plea}\n\nAgreed, the rota works.\n\nDan", from_address="dan@d.gov.uk", boilerplate=learner, use_ml=False)
    assert c.disclaimer == plea and c.body.startswith("Agreed")


def test_name_typed_above_a_device_line_signs_with_it():
    assert _clean("Fine.\n\nAnn Smith\nSent from my iPhone").signature == "Ann Smith\nSent from my iPhone"
    assert _clean("Will check tonight.\n\nRaj\nvia mobile").signature == "Raj\nvia mobile"
    # A one-line reply above the device line is the reply, however short.
    c = _clean("Yes please\nSent from my iPhone")
    assert c.body == "Yes please" and c.signature == "Sent from my iPhone"


FORWARD = (
    "---------- Forwarded message ----------\nFrom: Bob <bob@example.com>\nDate: Fri, Feb 11, 2010 at 5:59 PM\n"
    "Subject: Venue\nTo: Mary <mary@example.com>\n\n\nThe venue has moved.\n\nBob"
)


def test_forward_without_a_note_keeps_headers_as_quote_and_content_as_body():
    c = _clean(FORWARD)
    assert c.quote.startswith("---------- Forwarded message") and c.quote.endswith("To: Mary <mary@example.com>")
    assert "The venue has moved." in c.body and c.signature != c.quote


def test_a_forward_cut_after_its_first_header_line_keeps_that_line_with_the_banner():
    # Gmail's banner and one "From:" line, the rest lost (a list or client cut it).
    c = _clean("---------- Forwarded message ----------\nFrom: Some One <someone@example.com>\n\n\n-- \nSome One")
    assert c.quote == "---------- Forwarded message ----------\nFrom: Some One <someone@example.com>"
    assert "From:" not in c.body


def test_forwarded_headers_under_a_note_are_never_the_senders_signature(tmp_path):
    # With the trained classifier, as the pipeline cleans: it took the header lines for one.
    c = clean_text(f"FYI, see below.\n\n{FORWARD}", from_address="ann@example.com", cache_dir=tmp_path)
    assert "From: Bob" not in c.signature and "From: Bob" in c.body


def test_list_footer_under_an_interleaved_answer_is_disclaimer():
    footer = "_______________________________________________\ncomms mailing list\nhttps://lists.example.org/mailman/listinfo/comms"
    c = _clean(f"Count me in.\n\n{WROTE}\n> Who is coming?\n\nAnd I can bring the projector.\n\n{footer}\n")
    assert c.body.endswith("And I can bring the projector.") and c.disclaimer == footer


def test_elision_mark_between_header_and_quote_keeps_the_answer_below_as_body():
    # "[...]" stands for quoted text the replier cut; taken for text, it made the
    # header look like a forward, and the whole answer below went to the quote.
    text = (f"{WROTE}\n[...]\n> Can we share the rota?\n> It is on the drive.\n\n"
            "Yes, I have shared it with everyone.\n\nRegards,\nBen\n\n[...]\n")
    c = _clean(text)
    assert c.body == "Yes, I have shared it with everyone."
    assert c.quote.startswith(WROTE) and "> It is on the drive." in c.quote


def test_answer_below_the_quote_under_a_greeting_ends_in_its_signature():
    text = f"Hi Ann,\n\n{WROTE}\n> Can we share the rota?\n\nYes, it is on the drive now.\n\nKind regards,\nBen Jones\n"
    c = _clean(text)
    assert c.body == "Hi Ann,\n\nYes, it is on the drive now."
    assert c.signature == "Kind regards,\nBen Jones"
