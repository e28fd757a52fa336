"""The `replyall clean` command: print the cleaned body of one message or bare body."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from replyall.cleaning import Cleaned

__all__ = ["clean"]

# An RFC 822 message starts with header fields; a bare body may too ("CAUTION: This
# email originated outside ..."), so the whole first block must be header fields,
# one of them a field every message has.
_FIELD = re.compile(rb"^([!-9;-~]+):")
_MESSAGE_FIELDS = frozenset(
    b"from to cc subject date message-id received return-path mime-version content-type delivered-to sender".split()
)


def _looks_like_message(raw: bytes) -> bool:
    text = raw.lstrip().replace(b"\r\n", b"\n")
    head, blank, _ = text[:65536].partition(b"\n\n")
    if not blank:
        return False
    lines = head.split(b"\n")
    if lines[0].startswith(b"From "):  # an mbox "From " line
        lines = lines[1:]
    names = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and names:
            continue  # a folded field's continuation
        field = _FIELD.match(line)
        if not field:
            return False
        names.append(field.group(1).lower())
    return bool(_MESSAGE_FIELDS.intersection(names))


def _parse(raw: bytes) -> tuple[str, str | None, str | None, str, dict[str, str]]:
    """(text, html, from address, kind, picture names) of an RFC 822 message, as the pipeline reads it."""
    from replyall.mail.classify import classify
    from replyall.mail.mime import parse_message

    parsed = parse_message(raw)
    sender = parsed.from_[1] if parsed.from_ else None
    return parsed.text or "", parsed.html, sender, classify(parsed), parsed.pictures()


def _clean_with_archive(slug: str, text: str, html: str | None, from_address: str | None,
                        pictures: dict[str, str]) -> Cleaned:
    """Clean as the pipeline would in archive `slug`: with the boilerplate it has learned (read only)."""
    from sqlalchemy import select

    from replyall.cleaning import BoilerplateLearner, clean_text
    from replyall.cli.common import AppContext
    from replyall.db.boilerplate import DbBoilerplateStore
    from replyall.db.models import Archive

    app = click.get_current_context().find_object(AppContext) or AppContext(None)
    db = app.database()
    try:
        with db.reader() as session:
            archive_id = session.scalar(select(Archive.id).where(Archive.slug == slug))
            if archive_id is None:
                raise click.ClickException(f"no archive {slug!r} in the database (see [[archives]] in the config; run `replyall serve` once to create it)")
            learner = BoilerplateLearner(DbBoilerplateStore(session, archive_id, app.clock))
            return clean_text(text, html=html, from_address=from_address, boilerplate=learner, pictures=pictures)
    finally:
        db.close()


@click.command("clean")
@click.option("--json", "as_json", is_flag=True, help="Print body, quote, signature, disclaimer and kind as JSON.")
@click.option("--from", "from_address", metavar="ADDRESS", help="Sender address (helps signature detection).")
@click.option("--archive", "archive_slug", metavar="SLUG", help="Also use the boilerplate this archive has learned (reads the database).")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
def clean(as_json: bool, from_address: str | None, archive_slug: str | None, source) -> None:
    """Read an RFC 822 message or a bare body and print what the author wrote."""
    # Imported here: talon and scikit-learn take seconds, and every other command
    # (and `replyall --help`) would pay for them.
    from replyall.cleaning import clean_text

    raw = source.read()
    kind = "normal"
    html = None
    pictures: dict[str, str] = {}
    if _looks_like_message(raw):
        text, html, sender, kind, pictures = _parse(raw)
        from_address = from_address or sender
    else:
        text = raw.decode("utf-8", "replace")
    if archive_slug:
        cleaned = _clean_with_archive(archive_slug, text, html, from_address, pictures)
    else:
        cleaned = clean_text(text, html=html, from_address=from_address, pictures=pictures)
    if as_json:
        out = dict(cleaned.as_dict(), kind=kind)
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(cleaned.body)
