"""Find where the quoted history starts: talon's decision on the line markers, and our rules."""

from __future__ import annotations

import re

from talon import quotations as talon_q

from replyall.cleaning import patterns as P
from replyall.cleaning.headers import QUOT_PATTERN, forward_words, is_splitter_at, mark, split_inline_headers

__all__ = ["QUOT_PATTERN", "QuoteSpan", "find_quote", "forward_banner", "forward_header", "is_splitter_at",
           "split_inline_headers"]

_MAX_LINES = 1000
# A drawn rule: "-----", "_____", "====", and "---" (how mail.html renders <hr>).
_RULE = re.compile(r"^[ \t]*(?:-{3,}|_{3,}|={3,}|\*{3,})[ \t]*$")


class QuoteSpan(tuple):
    """(start, end) line indices of the quotation; lines outside it are the reply."""

    __slots__ = ()

    def __new__(cls, start: int, end: int) -> "QuoteSpan":
        return super().__new__(cls, (start, end))

    @property
    def start(self) -> int:
        return self[0]

    @property
    def end(self) -> int:
        return self[1]


def _after_device_line(lines: list[str], markers: str) -> int | None:
    """First line after "Sent from my iPhone" when more text follows it.

    Mobile clients append the device line to the reply and paste the original
    below it, often without any header: what follows is the quote.
    """
    if markers.startswith("f") or "f" in markers[: markers.find("t") + 1 if "t" in markers else 0]:
        return None
    for i, line in enumerate(lines):
        if markers[i] == "t" and (P.RE_SENT_FROM.match(line) or P.RE_SENT_FROM_TAIL.match(line)):
            if len(line.split()) > 9 or "t" not in markers[:i]:
                continue
            for j in range(i + 1, len(lines)):
                # The device line's own link ("Sent with BlackBerry Work\n(www.blackberry.com)").
                if lines[j].strip() and not P.RE_BARE_LINK.match(lines[j]):
                    return j
            return None
    return None


def forward_header(lines: list[str]) -> QuoteSpan | None:
    """The banner and header lines of a message that is only a forward, with no note above.

    find_quote() keeps a forward whole (it is new content for the thread); when
    nothing stands above it, its "From: / Date: / Subject:" lines are still the old
    message's headers, not the sender's text or signature.
    """
    first = next((i for i, line in enumerate(lines[:_MAX_LINES]) if line.strip()), None)
    if first is None or not _is_forward_banner(lines, first):
        return None
    markers = mark(lines[:_MAX_LINES])  # only for forwards: the header lines after the banner
    end = first
    while end < len(markers) and markers[end] in "fs":
        end += 1
    # Header lines too few to make a splitter of their own ("From: Ann <ann@x>" alone,
    # the rest cut by a mail client or a list) belong to the banner just the same.
    while end < len(markers) and P.RE_HEADER_LINE.match(lines[end]):
        end += 1
    return QuoteSpan(first, end)


def forward_banner(lines: list[str]) -> int | None:
    """Index of the first forward banner ("---------- Forwarded message", "Begin forwarded message:")."""
    # One search over the whole text (a long patch mail has thousands of lines), then
    # the line-level test on what it finds.
    text = "\n".join(lines[:_MAX_LINES])
    for found in _FORWARD_LINE.finditer(text):
        i = text.count("\n", 0, found.start())
        if _is_forward_banner(lines, i):
            return i
    return None


_FORWARD_LINE = re.compile(f"(?:{P.RE_FORWARD_BANNER.pattern})|(?:{talon_q.RE_FWD.pattern})", re.I | re.M)


def _is_forward_banner(lines: list[str], i: int) -> bool:
    # What mark() labels "f", without marking every line.
    line = lines[i]
    return forward_words(line) and not talon_q.QUOT_PATTERN.match(line) and is_splitter_at(lines, i) > 0


def find_quote(lines: list[str]) -> QuoteSpan | None:
    """The quoted span of a plain-text body, or None when the whole text is the reply.

    talon's `process_marked_lines` decides on the markers: a splitter followed by
    text cuts everything below; a block of ">" lines cuts out just that block;
    inline (interleaved) replies are left whole, as talon does.
    """
    lines = lines[:_MAX_LINES]
    markers = mark(lines)
    # A forward ("FYI" + forwarded message) is new content for this thread, not
    # history: talon keeps it whole, and so do we (its own quotes included).
    flags = [False, -1, -1]
    talon_q.process_marked_lines(lines, markers, flags)
    device = _after_device_line(lines, markers)
    if not flags[0]:
        if device is None:
            return None
        flags = [True, device, len(lines)]
    elif device is not None and device < flags[1]:
        flags = [True, device, len(lines)]
    start, end = flags[1], flags[2]
    # Pull the separator line ("_____", "-----") drawn above a header into the quote.
    k = start - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    if k >= 0 and _RULE.match(lines[k]) and markers[start] == "s":
        start = k
    return QuoteSpan(start, end)
