"""Built-in disclaimer patterns, gateway banners and learned boilerplate."""

import pytest

from replyall.cleaning import BoilerplateLearner, MemoryBoilerplateStore, clean_text

NOTICE = (
    "This email and any attachments are confidential and intended solely for the addressee.\n"
    "If you have received this email in error please notify the sender and delete it."
)


def test_confidentiality_notice():
    c = clean_text(f"Yes, approved.\n\nAnn\n\n{NOTICE}\n", use_ml=False)
    assert c.body == "Yes, approved.\n\nAnn" and c.disclaimer == NOTICE


def test_link_to_the_full_notice_goes_with_it():
    link = "https://www.northshire.gov.uk/email-disclaimer"
    c = clean_text(f"Yes, approved.\n\nAnn\n\n{NOTICE}\n\n{link}\n", use_ml=False)
    assert c.body == "Yes, approved.\n\nAnn" and c.disclaimer == f"{NOTICE}\n\n{link}"
    # A link the author ends on, with no notice above it, is the author's.
    c = clean_text(f"The plan is on the intranet:\n\n{link}\n", use_ml=False)
    assert c.body.endswith(link) and c.disclaimer == ""


def test_mailing_list_footer_and_environment_plea():
    footer = "_______________________________________________\nriak-users mailing list\nhttp://lists.example.com/mailman/listinfo/riak-users"
    c = clean_text(f"Hi folks\n\nHow do I clear a bucket?\n\n{footer}\n", use_ml=False)
    assert c.body == "Hi folks\n\nHow do I clear a bucket?" and "listinfo" in c.disclaimer
    c = clean_text("Done.\n\nPlease consider the environment before printing this email.", use_ml=False)
    assert c.body == "Done." and c.disclaimer


def test_external_banner_at_the_top():
    text = "CAUTION: This email originated from outside the organisation. Do not click links.\n\nHello all,\n\nAgreed."
    c = clean_text(text, use_ml=False)
    assert c.disclaimer.startswith("CAUTION") and c.body == "Hello all,\n\nAgreed."


def test_confidential_in_prose_is_kept():
    text = "Hello,\n\nThe numbers are still confidential, so please keep them to yourself for now."
    assert clean_text(text, use_ml=False).disclaimer == ""


def test_learned_boilerplate_needs_several_senders():
    footer = "Northshire County Council, County Hall, Northshire NS1 1AA. Working for a better Northshire."
    learner = BoilerplateLearner(MemoryBoilerplateStore())
    msg = f"Looks fine.\n\nRegards\n\n{footer}"
    learner.observe(msg, "ann@northshire.gov.uk")
    learner.observe(msg, "ann@northshire.gov.uk")  # one sender repeating: a signature
    assert clean_text(msg, from_address="ann@northshire.gov.uk", boilerplate=learner, use_ml=False).disclaimer == ""
    learner.observe(f"Other text.\n\n{footer}", "bob@northshire.gov.uk")
    c = clean_text(msg, from_address="carol@northshire.gov.uk", boilerplate=learner, use_ml=False)
    assert c.disclaimer == footer
    # Across the archive (other domains) it takes three senders.
    assert clean_text(msg, from_address="x@other.org", boilerplate=learner, use_ml=False).disclaimer == ""
    learner.observe(f"Third.\n\n{footer}", "dan@elsewhere.org")
    assert clean_text(msg, from_address="x@other.org", boilerplate=learner, use_ml=False).disclaimer == footer


# A corporate footer as Italian companies send it (the shape of strip-unquotemail's
# email_7, rewritten): a notice over three paragraphs of which only the first says
# enough on its own, then the company's details, framed by rules, under "-- ".
FRAMED_FOOTER = (
    "-- \n\n" + "_" * 60 + "\n\n"
    "Le informazioni contenute in questo messaggio sono riservate e per uso esclusivo del destinatario.\n\n"
    "Persone diverse dal destinatario non possono copiare il messaggio.\n\n"
    "Se ricevete questo messaggio per errore, Vi preghiamo di cancellarlo.\n\n"
    "Azienda Srl - 00100 ROMA\ntel 06-1234567 fax 06-1234568 e-mail info@azienda.example\n"
    + "_" * 60
)


def test_framed_footer_in_another_language_is_one_disclaimer():
    c = clean_text(f"Va bene, grazie.\n\nMarco\n\n{FRAMED_FOOTER}", use_ml=False)
    assert c.body == "Va bene, grazie.\n\nMarco" and c.signature == ""
    assert c.disclaimer == FRAMED_FOOTER


def test_framed_footer_below_the_quote_of_a_top_posted_reply():
    quote = "Il giorno 8 dic 2016, Anna <anna@example.org> ha scritto:\n> Ciao\n> Una domanda?\n"
    c = clean_text(f"Risposta breve.\n\n{quote}\n{FRAMED_FOOTER}", use_ml=False)
    assert c.body == "Risposta breve." and c.signature == "" and c.disclaimer == FRAMED_FOOTER


def test_weak_paragraphs_join_a_footer_only_below_a_disclaimer():
    # One phrase ("mailing list") or a phone number is not a footer on its own ...
    text = "Can anyone share the mailing list for the press office?\n\nCall me on 01234 567890.\n\n" + "_" * 20
    assert clean_text(f"Hi all,\n\n{text}", use_ml=False).disclaimer == ""
    # ... and a signature with contact details above a notice stays the signature.
    c = clean_text(f"Agreed.\n\n-- \nAnn Smith\nTel 01234 567890\n\n{NOTICE}", use_ml=False)
    assert c.signature == "-- \nAnn Smith\nTel 01234 567890" and c.disclaimer == NOTICE


def _learner_after(*messages: tuple[str, str]) -> BoilerplateLearner:
    learner = BoilerplateLearner(MemoryBoilerplateStore())
    for text, sender in messages:
        learner.observe(text, sender)
    return learner


def test_greetings_and_git_from_lines_are_not_learned():
    greeting, git_from = "Dear Comms Network colleagues,", "From: Jan Kiszka <jan.kiszka@siemens.example>"
    senders = ("a@council.example", "b@council.example", "c@trust.example", "d@police.example")
    learner = _learner_after(*((f"{greeting}\n\nOur answer {i}.", s) for i, s in enumerate(senders)),
                             *((f"{git_from}\n\nFix {i}.", s) for i, s in enumerate(senders)))
    for block in (greeting, git_from):
        c = clean_text(f"{block}\n\nSomething new.", from_address="e@council.example", boilerplate=learner, use_ml=False)
        assert c.body == f"{block}\n\nSomething new." and c.disclaimer == ""


def test_a_public_mail_domain_teaches_no_footer():
    block = "Has anyone got a social media policy they could share with the network?"
    learner = _learner_after((f"Hi all,\n\n{block}", "ann@gmail.com"), (f"Hello,\n\n{block}", "bob@gmail.com"))
    msg = f"Hi,\n\nWe are updating ours.\n\n{block}"
    assert clean_text(msg, from_address="cat@gmail.com", boilerplate=learner, use_ml=False).disclaimer == ""
    # An organisation's domain does learn from two senders.
    learner = _learner_after((f"Hi all,\n\n{block}", "ann@nhs.example"), (f"Hello,\n\n{block}", "bob@nhs.example"))
    assert clean_text(msg, from_address="cat@nhs.example", boilerplate=learner, use_ml=False).disclaimer == block


def test_quoted_history_is_never_learned_and_stays_quote():
    history = "> On Monday, Ann wrote:\n> Please see the attached policy and tell me what you think of it."
    learner = _learner_after(*((f"Agreed.\n\n{history}", f"{n}@council.example") for n in "abcd"))
    assert learner.candidates(f"Agreed.\n\n{history}".splitlines()) == []
    footer = ("-- \nYou received this message because you are subscribed to the Google Groups \"Comms\" group.\n"
              "To unsubscribe from this group, send an email to comms+unsubscribe@googlegroups.example.")
    text = (f"On Monday, Ann wrote:\n> Any views?\n\nYes, see below.\n\nJan\n\n"
            f"> {footer.splitlines()[1]}\n> {footer.splitlines()[2]}\n\n{footer}")
    c = clean_text(text, use_ml=False)
    assert c.disclaimer == footer and "> You received this message" in c.quote


def test_text_that_is_only_a_list_footer_has_no_body():
    # Mail whose content is its attachments: the list appended its footer, nothing else.
    footer = ("-- \nYou received this message because you are subscribed to the Google Groups \"Comms\" group.\n"
              "To unsubscribe from this group, send an email to comms+unsubscribe@googlegroups.example.")
    c = clean_text(f"\n{footer}\n", use_ml=False)
    assert c.body == "" and c.disclaimer == footer
    # Without the "-- " the first paragraph is still the reply, whatever it says.
    assert clean_text(footer[4:], use_ml=False).body == footer[4:]


def test_a_block_longer_than_any_footer_is_never_one():
    # Patch mail: kilobytes of code in one paragraph, here with notice words in it.
    code = "\n".join(f"/* {NOTICE} */ x = {i};".replace("\n", " ") for i in range(30))
    c = clean_text(f"Here is the patch.\n\n{code}", use_ml=False)
    assert len(code) > 4000 and c.disclaimer == "" and c.body.endswith("x = 29;")
    assert clean_text(f"Here is the patch.\n\n{code[:600]}", use_ml=False).disclaimer != ""


def test_history_quoted_right_above_the_footer_is_quote():
    footer = "-- \nYou received this message because you are subscribed to the Google Groups \"Comms\" group."
    text = (
        "On Monday, Ann wrote:\n> Which venue?\n\nThe town hall.\n\nThanks\n  Ralf\n\n"
        "> And the date?\n> Ann\n\n> And the time?\n\n" + footer
    )
    c = clean_text(text, use_ml=False)
    # The quoted paragraphs keep the blank line between them.
    assert c.quote.endswith("> And the date?\n> Ann\n\n> And the time?") and "And the date" not in c.body
    assert c.body.endswith("The town hall.") or c.body.endswith("Ralf")
    assert c.disclaimer == footer


def test_an_answer_typed_under_a_quoted_line_above_the_footer_stays_body():
    footer = "-- \nYou received this message because you are subscribed to the Google Groups \"Comms\" group."
    text = "On Monday, Ann wrote:\n> Which venue?\n\nThe town hall.\n\n> And the date?\nFriday at ten.\n\n" + footer
    c = clean_text(text, use_ml=False)
    assert c.body.endswith("Friday at ten.") and "Friday" not in c.disclaimer and c.disclaimer == footer


def test_protective_markings_at_the_top_and_bottom_are_not_the_reply():
    # A marking tool writes the classification above and below the body; a gateway
    # banner may sit between the top marking and the text.
    banner = "CAUTION: This email originated from outside of the organisation."
    text = f"OFFICIAL\n\n{banner}\n\nHi all,\n\nWe publish ours quarterly.\n\nThanks\nJo\n\nOFFICIAL\n"
    c = clean_text(text, use_ml=False)
    assert c.body == "Hi all,\n\nWe publish ours quarterly."
    assert c.signature == "Thanks\nJo"
    assert c.disclaimer.splitlines()[0] == "OFFICIAL" and banner in c.disclaimer
    assert c.disclaimer.splitlines()[-1] == "OFFICIAL"
    glued = clean_text("Classification: OFFICIAL-SENSITIVE\nHi all,\nAgreed.\nSensitivity: Internal", use_ml=False)
    assert glued.body == "Hi all,\nAgreed."
    assert glued.disclaimer == "Classification: OFFICIAL-SENSITIVE\n\nSensitivity: Internal"  # two pieces


def test_a_marking_below_quoted_history_is_the_senders():
    text = (
        "OFFICIAL\n\nWe do ours quarterly.\n\nJo\n\n"
        "From: Sarah Jones <sarah@northshire.gov.uk>\nSent: 19 November 2026 09:14\nTo: All\n"
        "Subject: Social media policy\n\nHas anyone got one?\n\nSarah\n\nOFFICIAL\n"
    )
    c = clean_text(text, use_ml=False)
    assert c.body == "We do ours quarterly.\n\nJo"
    assert c.quote.endswith("Has anyone got one?\n\nSarah")
    assert c.disclaimer == "OFFICIAL\n\nOFFICIAL"


def test_marking_words_in_prose_stay():
    for text in ("Hi all,\n\nIt is OFFICIAL: we won.\n\nJo", "Hi all,\n\nOfficial\n\nJo",
                 "Hi,\n\nThe classification is wrong.\n\nJo", "Hi,\n\nClassification: the new scheme\n\nJo"):
        c = clean_text(text, use_ml=False)
        assert c.disclaimer == "" and c.body == text, text


UK_NOTICES = [
    "Please note that any correspondence sent to the Council may be disclosed under the Freedom of "
    "Information Act 2000.",
    "Communications with the Council may be monitored and/or recorded for lawful purposes.",
    "Emails sent to and from this organisation will be monitored in accordance with the law to ensure "
    "compliance with policies and to minimise any security risks.",
    "We welcome correspondence in Welsh and will respond in Welsh.\n"
    "Rydym yn croesawu gohebiaeth yn Gymraeg a byddwn yn ymateb yn Gymraeg.",
    "This email has been scanned by the Symantec Email Security.cloud service.",
]


def test_uk_public_sector_notices_are_disclaimers():
    for notice in UK_NOTICES:
        c = clean_text(f"We use a shared rota for weekends.\n\nThanks\nJo\n\n{notice}\n", use_ml=False)
        assert c.disclaimer == notice and c.body == "We use a shared rota for weekends.", notice


def test_the_same_subjects_in_a_reply_stay_body():
    # Comms teams write about monitoring social media and about FOI requests.
    for text in (
        "Hi,\n\nOur Facebook messages will be monitored by the duty officer over Christmas.",
        "Hi,\n\nWe had a Freedom of Information request about our advertising spend last week.",
        "Hi,\n\nMy colleague will respond in Welsh to the Welsh-language enquiries.",
    ):
        c = clean_text(text, use_ml=False)
        assert c.body == text and c.disclaimer == "", text


NHSMAIL = (
    "********************************************************************\n"
    "This message may contain confidential information. If you are not the intended recipient please inform "
    "the\nsender that you have received the message in error before deleting it.\n"
    "Please do not disclose, copy or distribute information in this e-mail or take any action in relation to "
    "its contents. To do so is strictly prohibited and may be unlawful. Thank you for your co-operation.\n\n"
    "NHSmail is the secure email and directory service available for all NHS staff in England and Scotland.\n\n"
    "For more information and to find out how you can switch, https://portal.nhs.net/help/joiningnhsmail"
)


def test_a_notice_a_rule_opens_runs_to_the_end():
    c = clean_text(f"Happy to share ours, attached.\n\nPriya\n\n{NHSMAIL}\n", use_ml=False)
    assert c.body == "Happy to share ours, attached.\n\nPriya"
    assert c.disclaimer == NHSMAIL


def test_text_after_a_notice_without_a_rule_is_the_reply():
    text = f"Happy to share ours.\n\n{NOTICE}\n\nP.S. The PDF is the version the board signed off."
    c = clean_text(text, use_ml=False)
    assert c.body == text and c.disclaimer == ""


def test_the_senders_notice_below_history_quoted_to_the_end_is_disclaimer():
    # Outlook quotes the whole history to the end; the sender's mail system then
    # appends its notice below all of it, in plain text and in HTML.
    history = (
        "From: Sarah Jones <sarah@northshire.gov.uk>\nSent: 19 November 2026 09:14\nTo: All\n"
        "Subject: Social media policy\n\nHas anyone got one?\n\nSarah"
    )
    c = clean_text(f"Happy to share ours, attached.\n\nPriya\n\n{history}\n\n{NHSMAIL}\n", use_ml=False)
    assert c.body == "Happy to share ours, attached.\n\nPriya"
    assert c.quote == history and c.disclaimer == NHSMAIL
    html = (
        "<html><body><div class=WordSection1><p class=MsoNormal>Happy to share ours, attached.</p>"
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
        "<p class=MsoNormal><b>From:</b> Sarah Jones<br><b>Sent:</b> 19 November 2026 09:14<br>"
        "<b>To:</b> All<br><b>Subject:</b> Social media policy</p></div>"
        "<p class=MsoNormal>Has anyone got one?</p></div>"
        f"<p>{NOTICE}</p></body></html>"
    )
    c = clean_text("", html=html, use_ml=False)
    assert c.body == "Happy to share ours, attached."
    assert c.quote.endswith("Has anyone got one?") and c.disclaimer == NOTICE.replace("\n", " ")


@pytest.mark.parametrize("tip", [
    "You don't often get email from ann@anytown.gov.uk. Learn why this is important"
    "<https://aka.ms/LearnAboutSenderIdentification>",
    "[You don’t often get email from ann@anytown.gov.uk. Learn why this is important at "
    "https://aka.ms/LearnAboutSenderIdentification ]",
])
def test_microsoft_365_safety_tip_on_top_of_a_gateway_banner(tip):
    banner = "CAUTION: This email originated from outside of the organisation. Do not click links."
    c = clean_text(f"{tip}\n\n{banner}\n\nHello all,\n\nAgreed.", use_ml=False)
    assert c.body == "Hello all,\n\nAgreed." and c.disclaimer == f"{tip}\n\n{banner}"


def test_one_gateway_banner_at_most():
    text = (
        "CAUTION: This email originated from outside of the organisation.\n\n"
        "Notice: the press office is closed on Friday.\n\nCall the duty officer instead."
    )
    c = clean_text(text, use_ml=False)
    assert c.body == "Notice: the press office is closed on Friday.\n\nCall the duty officer instead."


def test_a_signature_card_right_above_a_ruled_notice_is_not_the_notice():
    notice = ("-" * 40 + "\nThis communication contains information which is confidential and may also be privileged. "
              "If you have received this communication in error please notify us and delete it.\n" + "-" * 40)
    card = "Jo Bloggs\nPress Officer\nAnyshire Police\n101 | www.anyshire.police.uk"
    c = clean_text(f"Does anyone have a template for a road closure?\n\nThanks\nJo\n\n{card}\n{notice}", use_ml=False)
    assert c.body == "Does anyone have a template for a road closure?"
    assert c.signature == f"Thanks\nJo\n\n{card}" and c.disclaimer == notice


def test_a_list_footer_typed_right_under_the_name_leaves_the_name():
    footer = ("-- \nYou received this message because you are subscribed to the Google Groups \"Comms\" group.\n"
              "To unsubscribe from this group and stop receiving emails from it, send an email to c+unsubscribe@example.org.")
    c = clean_text(f"Sounds good.\n\nThanks\nBob\n{footer}", use_ml=False)
    assert c.body == "Sounds good." and c.signature == "Thanks\nBob" and c.disclaimer == footer


def test_a_titled_notice_between_rules_with_unseen_characters_below_is_one_disclaimer():
    # A GroupWise system's footer: a rule, a title, the notice in two languages, a rule,
    # and a line of soft hyphens that no reader sees.
    notice = ("-" * 25 + "\n\nStatement of Confidentiality\n\nThis message may contain confidential information. "
              "If you have received this communication in error, please notify the sender immediately.\n\n"
              "Déclaration de confidentialité\n\nLe présent message peut contenir des renseignements confidentiels. "
              "Si vous l'avez reçu par erreur, veuillez en informer l'expéditeur.\n\n" + "-" * 25 + "\n\n\u00ad\u00ad")
    c = clean_text(f"Yes, we can do Tuesday.\n\nMel\n\n{notice}", use_ml=False)
    assert c.body == "Yes, we can do Tuesday.\n\nMel" and c.disclaimer.startswith("-" * 25)
    assert "Déclaration" in c.disclaimer and c.disclaimer.endswith("\u00ad\u00ad")


def test_a_title_alone_above_the_reply_is_not_a_notice():
    c = clean_text("Legal notice\n\nThe consultation closes on Friday; please send comments by then.", use_ml=False)
    assert c.disclaimer == ""
