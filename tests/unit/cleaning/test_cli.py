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
