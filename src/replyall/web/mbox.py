"""mboxrd writing: From_ separator lines and the reversible >From escaping, for streamed exports."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

# mboxrd (https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml, and
# qmail's mbox(5)): every line matching ^>*From  gets one more ">"; readers remove
# one, so bodies round-trip exactly, unlike mboxo which cannot undo its escaping.
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)
_ENVELOPE = re.compile(rb"[\s<>]")


def from_line(envelope_from: str, when: datetime | None) -> bytes:
    sender = _ENVELOPE.sub(b"", (envelope_from or "").encode("ascii", "replace")) or b"MAILER-DAEMON"
    stamp = (when or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).strftime("%a %b %d %H:%M:%S %Y")
    return b"From " + sender + b" " + stamp.encode("ascii") + b"\n"


def mbox_entry(raw: bytes, envelope_from: str, when: datetime | None) -> bytes:
    body = raw.replace(b"\r\n", b"\n")
    if body.startswith(b"From "):
        # An imported message may still carry its old From_ line; ours replaces it.
        body = body.split(b"\n", 1)[1] if b"\n" in body else b""
    body = _FROM_LINE.sub(rb">\1", body)
    if not body.endswith(b"\n"):
        body += b"\n"
    return from_line(envelope_from, when) + body + b"\n"


def mbox_stream(items: Iterable[tuple[bytes, str, datetime | None]]) -> Iterator[bytes]:
    for raw, envelope_from, when in items:
        yield mbox_entry(raw, envelope_from, when)
