"""The `replyall clean` command on a bare body and on an RFC 822 message."""

import json

from click.testing import CliRunner

from replyall.cli.clean import clean

MESSAGE = (
    b"From: Ann <ann@example.org>\nTo: all@example.org\nSubject: Re: plan\nMessage-ID: <1@example.org>\n"
    b"Content-Type: text/plain; charset=utf-8\n\nYes.\n\n-- \nAnn\n\n"
    b"On Mon, 1 Jan 2024 at 10:00, Bob <bob@example.org> wrote:\n> old\n"
)


def test_clean_bare_body():
    result = CliRunner().invoke(clean, ["-"], input="Fine by me.\n\n> earlier\n> more\n> text\n")
    assert result.exit_code == 0, result.output
    assert result.output == "Fine by me.\n"


def test_clean_message_json():
    result = CliRunner().invoke(clean, ["--json", "-"], input=MESSAGE)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["body"] == "Yes." and out["signature"] == "-- \nAnn".strip()
    assert out["quote"].startswith("On Mon") and out["disclaimer"] == ""
    assert out["kind"] == "normal"


def test_a_bare_body_that_opens_with_a_label_is_not_read_as_a_message():
    # A gateway's banner looks like a header field but the block is no message header.
    body = "CAUTION: This email originated from outside the organisation.\n\nFine by me.\n\nAnn\n"
    result = CliRunner().invoke(clean, ["--json", "-"], input=body)
    out = json.loads(result.output)
    assert out["body"] == "Fine by me.\n\nAnn"
    assert out["disclaimer"].startswith("CAUTION: This email")


def test_a_message_with_folded_fields_and_an_mbox_line_is_read_as_one():
    message = b"From ann@example.org Mon Jan  1 10:00:00 2024\nReceived: from a\n\tby b\n" + MESSAGE
    result = CliRunner().invoke(clean, ["--json", "-"], input=message)
    assert json.loads(result.output)["body"] == "Yes."
