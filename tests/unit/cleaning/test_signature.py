"""Signature rules and the retrained talon classifier (trains, caches, loads, predicts)."""

import numpy as np
import pytest

from replyall.cleaning import clean_text, sigmodel

BODY = "Please find the figures attached and tell me what you think."


@pytest.mark.parametrize(
    "sig",
    [
        "-- \nAnn Smith\nCity Council",
        "--\nrick",
        "Sent from my iPhone",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Von meinem iPhone gesendet",
        "Thanks,\nAnn Smith\nHead of Procurement\n+44 20 7946 0000\nwww.example.gov.uk",
        "Mit freundlichen Grüßen\nAnna Schmidt\nReferat 3",
        "Thanks in advance,\nAnn Smith",
        "Yours faithfully\nAnn Smith\nHead of Communications",
        # A name in capitals with its role on the same line, under a one-word "Thankyou".
        "Thankyou,\nANN SMITH | Head of Digital Communications\nAnytown Council\nann.smith@anytown.gov.uk | Tel.: +44 1632 960 456",
        "Cheers, Ann",
        # Bilingual Welsh public bodies.
        "Diolch / Thanks\nSian Jones\nSwyddog Cyfathrebu / Communications Officer",
        "Cofion | Regards,\nSian",
        # Government and NHS phones: BlackBerry Work, carriers' longer lines.
        "Sent with BlackBerry Work\n(www.blackberry.com)",
        "Sent from my BlackBerry 10 smartphone on the EE network.",
        "Sent via the Samsung Galaxy S21 5G, an AT&T 5G smartphone",
        # A public-sector card, then notes of any kind: working days, social media, privacy.
        "Kind regards\n\nSarah Jones (she/her)\nSenior Communications Officer\nAnytown Borough Council\n"
        "T: 01234 567890 | M: 07700 900123\nwww.anytown.gov.uk\n\nMy working days are Monday to Thursday.\n\n"
        "Follow us on Twitter @AnytownCouncil and on Facebook\n\n"
        "Anytown Borough Council is committed to protecting your privacy. Find out how at www.anytown.gov.uk/privacy",
    ],
)
def test_signature_rules(sig):
    c = clean_text(f"{BODY}\n\n{sig}\n", use_ml=False)
    assert c.body == BODY
    assert c.signature == sig


def test_sentence_is_not_a_signature():
    text = f"{BODY}\n\nThanks for the update, we will discuss it at the meeting next week and come back."
    assert clean_text(text, use_ml=False).signature == ""
    for line in ("Sent with love to all the team.", "Sent from my desk, is much easier than my mobile phone."):
        assert clean_text(f"{BODY}\n\n{line}", use_ml=False).signature == "", line


def test_a_postscript_below_the_card_keeps_the_sign_off_in_the_text():
    card = "Kind regards\n\nSarah Jones\nAnytown Borough Council\nT: 01234 567890"
    c = clean_text(f"{BODY}\n\n{card}\n\nPS: the figures for March follow on Monday.", use_ml=False)
    assert "PS: the figures" in c.text("body") and "PS: the figures" not in c.signature


def test_sign_off_above_text_without_a_card_keeps_the_text():
    # No contact details under the name: what follows is not a signature's notes.
    text = f"{BODY}\n\nThanks\n\nAnn Smith\nComms\n\nOne more thing: the deadline moved to Friday, so please hurry."
    assert "deadline moved" in clean_text(text, use_ml=False).body


def test_model_trains_caches_and_loads(tmp_path, monkeypatch):
    sigmodel._MODELS.clear()
    model = sigmodel.load_model(tmp_path)
    files = list(tmp_path.glob("talon-signature-*.npz"))
    assert len(files) == 1
    assert not list(tmp_path.glob(".sigmodel-*"))  # the temp file was renamed away
    # A second process must load the cache, not train: make training fail.
    sigmodel._MODELS.clear()
    monkeypatch.setattr(sigmodel, "_fit", lambda *_: pytest.fail("retrained despite the cache"))
    again = sigmodel.load_model(tmp_path)
    assert np.allclose(again.coef, model.coef) and again.intercept == pytest.approx(model.intercept)


def test_corrupt_cache_is_retrained(tmp_path):
    sigmodel._MODELS.clear()
    sigmodel.load_model(tmp_path)
    (cache,) = tmp_path.glob("talon-signature-*.npz")
    cache.write_bytes(b"garbage")
    sigmodel._MODELS.clear()
    sigmodel.load_model(tmp_path)
    assert np.load(cache)["coef"].shape == (12,)


def test_classifier_finds_contact_block(tmp_path):
    sigmodel._MODELS.clear()
    text = (
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.\n"
        "Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo.\n\n"
        "Gina Xxxxxxxxx\ngina@example.com\n(555) 346-9947\nwww.example.com\n"
    )
    c = clean_text(text, from_address="Gina Xxxxxxxxx <gina@example.com>", cache_dir=tmp_path)
    assert c.signature.startswith("Gina") and "(555) 346-9947" in c.signature
    assert "Lorem" in c.body and "gina@" not in c.body


def test_import_does_not_train(tmp_path, monkeypatch):
    import importlib

    monkeypatch.setenv("REPLYALL_CACHE_DIR", str(tmp_path))
    importlib.reload(sigmodel)
    assert not any(tmp_path.iterdir())
    assert sigmodel.default_cache_dir() == tmp_path


def test_sender_name_feature_needs_a_whole_word():
    # talon's own feature left the guard off one name, chosen by set order.
    names = sigmodel._sender_names("peng.fan@nxp.com")
    assert names("Peng") and names("Thanks, Fan") and names("fan ")
    assert not names("Fanatic support") and not names("pengxx") and not names("nxpfoo")
    assert sigmodel._sender_names("")("anything") == 0


_SEED_SCRIPT = """
from replyall.cleaning import clean_text
body = ("Please check whether your root linux uart is using address\\n\\n0x30890000.\\n\\n"
        "The inmate linux using the root linux uart as earlycon, so\\n\\n"
        "If your root linux is not using 0x30890000, your inmate\\n\\n"
        "will not have output. You need update your cmd.\\n\\nRegards,\\n\\nPeng.\\n")
print(repr(clean_text(body, from_address="peng.fan@nxp.com", cache_dir={cache!r}).as_dict()))
"""


def test_cleaning_does_not_depend_on_the_hash_seed(tmp_path):
    # A reply from jailhouse-dev that talon's name feature split two ways, depending on
    # PYTHONHASHSEED: a worker and a later reindex must clean it the same way.
    import os
    import subprocess
    import sys

    sigmodel.load_model(tmp_path)  # train once, so the subprocesses only load
    script = _SEED_SCRIPT.format(cache=str(tmp_path))
    outputs = set()
    # talon's own feature split this body one way under seeds 0 and 1, the other under 2 and 3.
    for seed in (0, 1, 2, 3):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert "0x30890000" in eval(outputs.pop())["body"]


_LINKED_SIGNATURE = (
    "<html><body><div class=WordSection1>"
    "<p class=MsoNormal>Hi John &#8211; the revised rota is on the shared drive now.</p>"
    "<p class=MsoNormal>&nbsp;</p><p class=MsoNormal>It covers the Christmas weekends as agreed.</p>"
    "<p class=MsoNormal>&nbsp;</p>"
    "<p class=MsoNormal><b>Priya Shah</b>, Digital Communications Lead</p>"
    "<p class=MsoNormal>&nbsp;</p>"
    "<p class=MsoNormal>Riverside Borough Council, Town Hall, Riverside RV1 1AA</p>"
    "<p class=MsoNormal>T: 01632 960321 | M: 07700 900456</p>"
    "<p class=MsoNormal><a href='https://tracking.example.net/link?url=https%3a%2f%2fwww.riverside.gov.uk%2f'>"
    "www.riverside.gov.uk</a> | <a href='https://tracking.example.net/link?url=https%3a%2f%2fx.com%2friverside'>"
    "Follow us on X</a></p></div></body></html>"
)


def test_contact_block_without_a_sign_off_even_with_long_links(tmp_path):
    # The rendered links ("Follow us on X <https://...>") make the lines too long for
    # talon's classifier; a name over contact lines is still a signature.
    for use_ml in (True, False):
        c = clean_text("", html=_LINKED_SIGNATURE, from_address="priya.shah@riverside.gov.uk",
                       use_ml=use_ml, cache_dir=tmp_path)
        assert c.body == (
            "Hi John – the revised rota is on the shared drive now.\n\nIt covers the Christmas weekends as agreed."
        )
        assert c.signature.startswith("Priya Shah, Digital Communications Lead")
        assert "01632 960321" in c.signature and "Follow us on X" in c.signature


def test_contact_block_under_a_name_with_pronouns():
    card = "Ann Smith (she/her)\nHead of Communications\nAnytown Council\n01234 567890\nwww.anytown.gov.uk"
    c = clean_text(f"{BODY}\n\n{card}", use_ml=False)
    assert c.body == BODY and c.signature == card


def test_contact_details_the_reply_introduces_stay_body():
    text = "Hi all,\n\nThe training is at:\n\nCouncil Chamber\nTown Hall, Riverside RV1 1AA\nTel: 01632 960321\n"
    assert clean_text(text, use_ml=False).signature == ""
    heading = "Hi all,\n\nWe need cover.\n\nHIGH PRIORITY\nTel: 01632 960321\nwww.riverside.gov.uk\n"
    assert clean_text(heading, use_ml=False).signature == ""


def test_links_the_text_cites_are_not_a_signature(tmp_path):
    text = ("Hi Ann,\n\nThe guidance is in the toolkit [1] and in last week's recording [2].\n"
            "Both are open to everyone on the list.\n\nBen\n\n"
            "[1] https://www.example.gov.uk/comms/toolkit\n[2] https://video.example.org/watch?v=7fiJbwmhnRw\n")
    c = clean_text(text, from_address="ben@example.gov.uk", cache_dir=tmp_path)
    assert c.body.endswith("[2] https://video.example.org/watch?v=7fiJbwmhnRw") and c.signature == ""


def test_references_below_a_sign_off_stay_with_the_text():
    text = "I saw your talk [1] and have a question about it.\n\nThanks in advance\nAnn Smith\n[1] https://example.org/talk"
    c = clean_text(text, use_ml=False)
    assert c.signature == "" and c.body.endswith("[1] https://example.org/talk")


def test_a_signature_never_starts_on_a_quoted_line(tmp_path):
    # A reply written below a quoted patch, which ends with the sender's own
    # Signed-off-by line: the classifier, knowing the sender, took that line and the
    # reply under it for a signature.
    desc = ["The current rota for the press office ignores possible gaps in the",
            "weekend cover. This would leave nobody on call at some times",
            "and may lead to missed enquiries.", "",
            "Solve this by making sure that every weekend has two names on it.",
            "Check the gaps early, when the rota is drafted. Use the",
            "\"spare_slots\" column to track the shifts still free for swaps.",
            "This can be used to check whether a swap would leave a weekend",
            "with fewer people than the minimum. This will ensure that",
            "the cover for weekends never drops below two.", "",
            "Change the format of the sheet for a few teams. Add comments to",
            "explain what to do when nobody is free. Remove the old checks",
            "that never found anything.", "",
            "Signed-off-by: Ann Smith <ann.smith@council.example>"]
    rest = ["---", "", "Notes:", "    Changes from v2:", "    * Remove additional checks", "",
            " rota/weekends.csv | 3 +-", " 1 file changed, 2 insertions(+), 1 deletion(-)", "", "-- ", "2.17.1"]

    def quoted(lines: list[str]) -> str:
        return "\n".join(f"> {line}" if line else ">" for line in lines)

    footer = '-- \nYou received this message because you are subscribed to the Google Groups "Comms" group.'
    text = (f"On 17:57-20201030, 'Ann Smith' via Comms wrote:\n{quoted(desc)}\n\nping on this\n\nAnn S\n\n"
            f"{quoted([*rest, '', *footer.split(chr(10))])}\n\n{footer}\n")
    c = clean_text(text, from_address="ann.smith@council.example", cache_dir=tmp_path)
    assert ">" not in c.signature
    assert c.body.endswith("> Signed-off-by: Ann Smith <ann.smith@council.example>\n\nping on this\n\nAnn S")
