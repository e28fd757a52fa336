"""parse_message never raises on the third-party tricky-message corpus (tests/data/tricky)."""

import json

import pytest

from replyall.mail.classify import KINDS, classify
from replyall.mail.mime import parse_message

from pathlib import Path

TRICKY = Path(__file__).resolve().parents[2] / "data" / "tricky"
ENTRIES = json.loads((TRICKY / "index.json").read_text())


def test_corpus_is_complete():
    assert len(ENTRIES) == 277
    assert all((TRICKY / e["file"]).is_file() for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_parse_never_raises_and_yields_id_or_defect(entry):
    raw = (TRICKY / entry["file"]).read_bytes()
    p = parse_message(raw)
    assert p.message_id or "missing Message-ID" in p.defects or "invalid Message-ID" in p.defects
    assert p.effective_message_id
    assert isinstance(p.text, str) and "\x00" not in p.text
    p.text.encode("utf-8")  # no lone surrogates left for the database
    p.subject.encode("utf-8")
    assert classify(p) in KINDS
    if entry["has_message_id"]:
        assert p.message_id is not None


def test_known_hard_cases():
    def load(name):
        return parse_message((TRICKY / name).read_bytes())

    assert load("hyperkitty/non-ascii-headers.txt").from_ == ("Vít Ondruch", "vondruch@redhat.com")
    assert load("hyperkitty/bad-subject-header.txt").subject == "(et en plus, en local…)"
    assert load("hyperkitty/bad_date_tz.txt").date_offset is None
    assert load("hyperkitty/strange-in-reply-to-header.txt").in_reply_to == (
        "200704070053.46646.other.person@example.com",
    )
    assert load("hyperkitty/resent-date.txt").date is not None
    assert "€" not in load("public-inbox/x-unknown-alpine.eml").text
    assert "•" in load("public-inbox/x-unknown-alpine.eml").text
    assert load("public-inbox/iso-2202-jp.eml").text.strip()
