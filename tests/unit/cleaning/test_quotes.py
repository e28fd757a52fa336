"""Quote rules: each client's header style is cut, prose that merely looks like one is not."""

import pytest

from replyall.cleaning import clean_text

REPLY = "Agreed, let's meet on Tuesday."


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, Jan 1, 2024 at 10:00 AM Bob Smith <bob@example.org> wrote:",
        "On Mon, Jan 1, 2024 at 10:00 AM Bob Smith <\nbob@example.org> wrote:",
        "Am 01.01.2024 um 10:00 schrieb Bob Smith <bob@example.org>:",
        "Le lun. 1 janv. 2024 à 10:00, Bob Smith <bob@example.org> a écrit :",
        "Op 1 januari 2024 10:00 schreef Bob Smith <bob@example.org>:",
        "Il giorno lun 1 gen 2024 alle ore 10:00 Bob <bob@example.org>\nha scritto:",
        "El lun, 1 ene 2024 a las 10:00, Bob (<bob@example.org>) escribió:",
        "-----Original Message-----\nFrom: Bob",
        "-------- Ursprüngliche Nachricht --------",
        "From: Bob Smith <bob@example.org>\nSent: Monday, January 1, 2024 10:00 AM\nTo: All\nSubject: RE: plan",
        "Von: Bob Smith\nGesendet: Montag, 1. Januar 2024 10:00\nAn: Alle\nBetreff: AW: Plan",
        "De : Bob Smith\nEnvoyé : lundi 1 janvier 2024 10:00\nÀ : Tous\nObjet : RE: plan",
        "Van: Bob\nVerzonden: maandag 1 januari 2024 10:00\nAan: Allen\nOnderwerp: RE: plan",
        "Från: Bob\nSkickat: den 1 januari 2024 10:00\nTill: Alla\nÄmne: SV: plan",
        "Da: Bob\nInviato: lunedì 1 gennaio 2024 10:00\nA: Tutti\nOggetto: R: piano",
        "De: Bob\nEnviado: lunes, 1 de enero de 2024 10:00\nPara: Todos\nAsunto: RE: plan",
        "________________________________\nFrom: Bob <bob@example.org>\nSent: Monday\nTo: All",
        "*From:* Bob [mailto:bob@example.org]\n*Sent:* Thursday, February 09, 2012 1:36 PM\n*Subject:* x",
        "Date: Wed, 16 May 2012 00:15:02 -0600\nTo: all@example.org",
        "From: bob@example.org Sent: Thu, 24 Mar 2016 08:07:12 -0700 To: all Subject: plan",
        # GroupWise: the header looks like a quoted line, and the old text below is unmarked.
        '>>> "Bob Smith" <bob@example.org> 01/01/2024 10:00 >>>',
        ">>> Bob Smith 1/1/2024 10:00 AM >>>",
        # Lotus Notes: an attribution ending in a time, and its dashed banner form.
        '"Bob Smith" <bob@example.org> wrote on 01/01/2024 10:00:55:',
        "Bob Smith/Comms/Anytown wrote on 01/01/2024 10:00:55:",
        "Bob Smith <bob@example.org> schrieb am 01.01.2024 10:00:55:",
        '-----"Bob Smith" <bob@example.org> wrote: -----\nTo: all@example.org\nDate: 01/01/2024 10:00',
        "-----Bob Smith/Comms/Anytown wrote: -----",
        # Welsh: Outlook's header block and Gmail's attribution.
        "Oddi wrth: Bob Smith <bob@example.org>\nAnfonwyd: 01 Ionawr 2024 10:00\nAt: Pawb\nPwnc: Cynllun",
        "Ar 1 Ion 2024, am 10:00, Bob Smith <bob@example.org> ysgrifennodd:",
    ],
)
def test_header_styles_cut_the_quote(header):
    text = f"{REPLY}\n\n{header}\n\nThe old message text.\n> older still\n"
    c = clean_text(text, use_ml=False)
    assert c.body == REPLY
    assert "old message text" in c.quote


def test_dashed_banner_in_an_unknown_language_cuts_when_headers_follow():
    # Indonesian: neither the banner's words nor "Dari:" / "Tanggal:" are in our lists.
    text = f"{REPLY}\n\n-------- Pesan Asli --------\nDari: Bob <bob@example.org>\nTanggal: 01/01/2024\n\nOld text.\n"
    c = clean_text(text, use_ml=False)
    assert c.body == REPLY and c.quote.startswith("-------- Pesan Asli")


@pytest.mark.parametrize("title", ["---- Enter feedback below ----", "--- Which tree should the fix target? ---"])
def test_dashed_section_title_is_not_a_quote_banner(title):
    text = f"{REPLY}\n\n{title}\n\nThe mainline tree, then stable.\n"
    c = clean_text(text, use_ml=False)
    assert c.quote == "" and c.body.endswith("then stable.")


def test_quote_marker_lines_are_cut():
    c = clean_text(f"{REPLY}\n\n> one\n> two\n> three\n", use_ml=False)
    assert c.body == REPLY and c.quote.startswith("> one")


def test_inline_reply_is_kept_whole():
    text = "On Mon, Jan 1, 2024, Bob <b@example.org> wrote:\n> q1\n\nanswer 1\n\n> q2\n\nanswer 2\n"
    c = clean_text(text, use_ml=False)
    assert "answer 1" in c.body and "answer 2" in c.body


def test_header_sharing_a_line_with_the_reply():
    c = clean_text("reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi", use_ml=False)
    assert c.body == "reply"


def test_forwarded_message_is_kept():
    # A forward brings new content into the thread; like talon, we keep it.
    text = "FYI\n\n---------- Forwarded message ----------\nFrom: bob@example.org\nDate: Tue, Sep 4, 2012\n\nText"
    assert "Text" in clean_text(text, use_ml=False).body


def test_device_line_followed_by_pasted_original():
    text = f"{REPLY}\n\nSent from my iPhone\n\nThe original, pasted without a header.\n"
    c = clean_text(text, use_ml=False)
    assert c.body == REPLY and c.signature == "Sent from my iPhone" and "pasted" in c.quote


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is on 10/19/2017 @ 9:30 am.\nBring bob@example.org along.\n\nSee you",
        "From: the point of view of the council, this is fine.\nWe agree.",
        "Date: to be decided.\nThanks all",
        "I think Bob wrote: something important, see the minutes.",
        "We wrote to them on 12/03 at 10:00:\nno answer yet.",
        ">>> not a header, just shouting >>>\nreally",
        "Date: 12 March 2024\nTime: 10:00\nAt: Town Hall, Anytown",
    ],
)
def test_prose_is_not_a_header(text):
    assert clean_text(text, use_ml=False).quote == ""


def test_quoted_groupwise_header_stays_inside_the_quote():
    # A GroupWise header quoted by a later reply is quoted text, not a new splitter.
    text = f"{REPLY}\n\n> answer\n>\n>>>> Bob 01/01/2024 10:00 >>>\n> question\n"
    c = clean_text(text, use_ml=False)
    assert c.body == REPLY and c.quote.startswith("> answer") and "question" in c.quote


def test_lotus_notes_forward_banner_keeps_the_forward():
    text = ("FYI, Bob's question below.\n----- Forwarded by Ann Smith/Comms/Anytown on 01/01/2024 10:02 -----\n\n"
            "From:\tBob <bob@example.org>\nDate:\t01/01/2024 10:00\nSubject:\tPolicy\n\nHas anyone got one?\n")
    c = clean_text(text, use_ml=False)
    assert "Has anyone got one?" in c.body and c.quote == ""


def test_a_groupwise_message_with_nothing_written_above_keeps_its_content():
    # Sent on with no note: the header is the quote, what the old message says is the content.
    c = clean_text(">>> Mel Jones 02/25/22 4:28 PM >>>\nThe venue has changed to the Town Hall.\n", use_ml=False)
    assert c.quote == ">>> Mel Jones 02/25/22 4:28 PM >>>" and c.body == "The venue has changed to the Town Hall."


QUESTIONS = (
    "From: Ann Smith <ann@example.org>\nSent: 12 March 2024 09:14\nTo: all@example.org\nSubject: Questions\n\n"
    "1. Do staff post about work on personal accounts?\nYes, with a disclaimer in their bio.\n\nThanks\nAnn\n\n"
    "This email is confidential and intended solely for the addressee. If you have received it in error, "
    "please notify the sender.\n"
)
OLDER = "\nFrom: Cat <cat@example.org>\nSent: 11 March 2024 09:00\nTo: all@example.org\nSubject: Older\n\nOlder history.\n"


@pytest.mark.parametrize("cue", [
    "My answers are below in red.", "Comments inline.", "I've added my replies below.",
    "Mae fy atebion isod.", "Meine Antworten stehen unten in Rot.", "Mes réponses en rouge ci-dessous.",
    "Mijn antwoorden staan hieronder.",
])
def test_answers_written_inside_the_quoted_message_are_the_body(cue):
    c = clean_text(f"Hi Ann, {cue}\n\nBob\n\n{QUESTIONS}{OLDER}", use_ml=False)
    assert "Yes, with a disclaimer in their bio." in c.body and c.body.startswith(f"Hi Ann, {cue}")
    # The header stays quote, and so does the older history below the answered message.
    assert c.quote.startswith("From: Ann Smith") and c.quote.endswith("Older history.")
    assert "Older history" not in c.body and "Sent: 12 March" not in c.body
    assert "intended solely" in c.quote and "intended solely" not in c.body  # the answered message's notice


@pytest.mark.parametrize("reply", [
    "Thanks for all the responses below, really helpful!", "Please see below.", "See Ann's email below.",
    "Siehe unten.", "Voir ci-dessous.",
])
def test_without_a_word_on_answers_inside_the_quoted_message_stays_quote(reply):
    c = clean_text(f"{reply}\n\nBob\n\n{QUESTIONS}", use_ml=False)
    assert "disclaimer in their bio" in c.quote and "disclaimer in their bio" not in c.body
