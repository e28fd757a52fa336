"""Pure threading rules: subject keys, participants, Thread-Index keys and how to rank a guessed parent."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from replyall.mail.headers import conversation_key, decode_thread_index, thread_index_parent
from replyall.mail.subject import is_reply, normalize_subject
from replyall.threading import evidence

__all__ = [
    "Candidate",
    "eligible",
    "participants",
    "rank",
    "series_eligible",
    "series_of",
    "series_rank",
    "subject_key",
    "thread_subject",
    "ti_ancestors",
    "ti_fields",
]

# Bracketed tags that are content rather than list names: "[PATCH v2 1/3] foo" and
# "[PATCH v3 1/3] foo" are different threads on kernel-style lists, while
# normalize_subject drops every leading tag (list tags such as "[ksummit]" must go).
_CONTENT_TAG = re.compile(r"\[(?:[^\[\]]*\bPATCH\b|RFC\b|RESEND\b|PULL\b|GIT PULL\b|ANNOUNCE\b)[^\[\]]*\]", re.I)


def thread_subject(subject: str | None) -> str:
    """The subject as threading compares it: no Re/AW/Fwd chain, no list tags, content tags kept."""
    base = normalize_subject(subject)
    if not base:
        return ""
    tags = [" ".join(t.split()).casefold() for t in _CONTENT_TAG.findall(subject or "")]
    # Only tags that normalize_subject removed (the leading ones) are added back.
    tags = [t for t in tags if t not in base]
    return " ".join([*tags, base])


def subject_key(subject: str | None, topic: str | None = None) -> str:
    """32-hex key of thread_subject(); Outlook's Thread-Topic stands in for an empty subject."""
    text = thread_subject(subject) or thread_subject(topic)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:32] if text else ""


def participants(
    from_address: str | None, to: Iterable[Iterable[str]], cc: Iterable[Iterable[str]], exclude: Iterable[str] = ()
) -> frozenset[str]:
    """Lower-cased From/To/Cc addresses, without the archive's own (on every message, so proof of nothing)."""
    found = {(from_address or "").lower()}
    for pair in (*to, *cc):
        pair = list(pair)
        if len(pair) >= 2 and pair[1]:
            found.add(pair[1].lower())
    return frozenset(found - {""} - {e.lower() for e in exclude})


def ti_fields(header: str | None) -> tuple[str | None, str | None]:
    """(Thread-Index as hex, conversation key) or (None, None) when absent or undecodable."""
    data = decode_thread_index(header) if header else None
    if data is None:
        return None, None
    return data.hex(), conversation_key(data)


def ti_ancestors(ti_hex: str) -> list[str]:
    """Hex Thread-Index of every ancestor, nearest first ([MS-OXOMSG] 2.2.1.3: 5 bytes per reply)."""
    out: list[str] = []
    data: bytes | None = bytes.fromhex(ti_hex)
    while data is not None:
        data = thread_index_parent(data)
        if data is not None:
            out.append(data.hex())
    return out


@dataclass(frozen=True)
class Candidate:
    """What the subject fallback needs to know about one message.

    As a parent: its author (`author_name`, `author_address`, the latter empty when
    it is the archive's own address, as Google Groups writes for DMARC senders) and
    the lines it `said`. As a reply: the `attribution` of its quote and its `quoted`
    lines (replyall.threading.evidence).
    """

    message_id: str
    subject: str
    subject_key: str
    date: datetime | None
    from_address: str
    to_addresses: frozenset[str]
    participants: frozenset[str]
    author_name: str = ""
    author_address: str = ""
    attribution: str = ""
    quoted: frozenset[str] = field(default_factory=frozenset)
    said: frozenset[str] = field(default_factory=frozenset)


def _before(p: Candidate, m: Candidate) -> bool:
    assert p.date is not None and m.date is not None
    return (p.date, p.message_id) < (m.date, m.message_id)


def eligible(parent: Candidate, child: Candidate, window: timedelta) -> bool:
    """May `child` (a reply without usable references) hang under `parent` by subject?

    Same non-empty subject key, child's subject is a reply ("Re:", "AW:", ...), parent
    strictly earlier (ties broken by Message-ID so the order is total) and no more
    than `window` earlier, and evidence that the child answers the parent's people:
    a shared participant, or the child's quote attributed to the parent's author, or
    the child quoting the parent's own lines. The archive's address is no evidence
    (every list message has it), so a reply written to a list alone needs the quote.
    The relation depends on the two messages only, never on arrival order.
    """
    if not child.subject_key or child.subject_key != parent.subject_key or child.message_id == parent.message_id:
        return False
    if child.date is None or parent.date is None or not is_reply(child.subject):
        return False
    if not _before(parent, child) or child.date - parent.date > window:
        return False
    if child.participants & parent.participants:
        return True
    return quotes_author(parent, child) or evidence.shares_text(child.quoted, parent.said)


def quotes_author(parent: Candidate, child: Candidate) -> bool:
    """Does the child's quote attribution name the parent's author?"""
    return evidence.mentions(child.attribution, parent.author_name, parent.author_address)


def rank(parent: Candidate, child: Candidate) -> tuple:
    """Higher is a better guess: the author the child quotes and the text it quotes, then someone
    the child wrote to, then the thread's opener, then the latest.

    Among messages of the author the child quotes, the latest wins over the opener:
    a reply answers what that person said last unless its quoted lines say otherwise.
    """
    assert parent.date is not None
    named = quotes_author(parent, child)
    return (
        named,
        evidence.shares_text(child.quoted, parent.said),
        parent.from_address in child.to_addresses,
        parent.from_address in child.participants,
        not named and not is_reply(parent.subject),
        parent.date,
        parent.message_id,
    )


# "[PATCH v2 3/7] arm64: fix x", "[jh-images][PATCH 05/18] y", "[RFC PATCH 0/3] z": what
# stands before "k/n" in the brackets names the series, k is the part, n the size.
_SERIES = re.compile(r"^\s*((?:\[[^\[\]]*\]\s*)*)\[([^\[\]]*?)\b(\d{1,4})\s*/\s*(\d{1,4})\s*\]")
#: git send-email stamps the Dates of one series a second apart; 99% of the parts on
#: jailhouse-dev are within 10 minutes of their cover letter. An hour keeps two series
#: of one author on one day apart unless their tags and sizes are the same too.
SERIES_WINDOW = timedelta(hours=1)


def series_of(subject: str | None) -> tuple[str, int, int] | None:
    """(series tag, part, size) of a patch mail that is not a reply, else None."""
    if not subject or is_reply(subject):
        return None
    m = _SERIES.match(subject)
    if m is None:
        return None
    part, size = int(m.group(3)), int(m.group(4))
    if size < 1 or part > size:
        return None
    tag = " ".join((m.group(1) + "[" + m.group(2)).casefold().split())
    return tag, part, size


def _author(c: Candidate) -> str:
    # Google Groups writes the list's address as From for DMARC senders: the name tells them apart.
    return c.author_address or " ".join(c.author_name.casefold().split())


def series_eligible(parent: Candidate, child: Candidate, window: timedelta = SERIES_WINDOW) -> bool:
    """May patch `child` (no usable references) hang under `parent` as git send-email threads a series?

    `git send-email --thread` makes every part answer the cover letter (part 0), or
    part 1 when there is none: same author, same series tag and size, within `window`.
    Depends on the two messages only, never on arrival order.
    """
    mine, theirs = series_of(child.subject), series_of(parent.subject)
    if mine is None or theirs is None or parent.message_id == child.message_id:
        return False
    tag, part, size = mine
    ptag, ppart, psize = theirs
    if ptag != tag or psize != size or ppart not in (0, 1) or ppart >= part:
        return False
    if child.date is None or parent.date is None or abs(child.date - parent.date) > window:
        return False
    author = _author(child)
    return bool(author) and author == _author(parent)


def series_rank(parent: Candidate, child: Candidate) -> tuple:
    """The cover letter over part 1, then the nearer in time."""
    theirs = series_of(parent.subject)
    assert theirs is not None and parent.date is not None and child.date is not None
    return theirs[1] == 0, -abs((child.date - parent.date).total_seconds()), parent.message_id
