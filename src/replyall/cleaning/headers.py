"""Quote headers: the lines that open a quoted message in each client's style, and talon's line markers.

A marker per line (e empty, m ">"-quoted, s splitter: a quote header, f a forward
banner, t text) is what find_quote() decides on, as talon's own process_marked_lines.
"""

from __future__ import annotations

import re

import regex
from talon import quotations as talon_q

from replyall.cleaning import patterns as P

__all__ = [
    "QUOT_PATTERN", "forward_words", "header_block", "is_splitter_at", "mark", "one_line_header", "rejoin_wrapped_quotes",
    "split_inline_headers",
]

#: A ">"-quoted line, as talon recognises it.
QUOT_PATTERN = talon_q.QUOT_PATTERN

# Headers are wrapped over a few lines at most (Gmail wraps "On ... wrote:" at 78 columns).
_MAX_WRAP = 3
_HEADER_WINDOW = 8
# talon's "From:/Date:" splitter fires on a single "Date: friday" line in a body;
# our header-block rule replaces it with one that needs a real block.
# Its two "<date> ... @" patterns run over six lines and fire on any dated line
# above an address (an appointment, a log excerpt); _date_header needs the colon.
_TALON_SPLITTERS = [
    p for p in talon_q.SPLITTER_PATTERNS
    if p is not talon_q.RE_FROM_COLON_OR_DATE_COLON and not p.pattern.startswith(("(\\d+/", "\\d{4}-"))
]
# "02.04.2012 14:20 Bob <bob@example.com>:" / "2014-10-17 11:28 GMT+03:00 Bob <\nbob@x.org>:"
_DATE_START = regex.compile(r"^[ \t>]*(?:\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|\d{1,2} \w{3,10}\.? \d{4})\b")
_ADDR_END = regex.compile(r"@[^\s@]+?>?[ \t]*$")
_TIME = regex.compile(r"\b\d{1,2}[:.]\d{2}\b")
_ADDR_COLON_END = regex.compile(r"@[^\s]+?>?\)?[ \t]*[:：][ \t]*$")
# "reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:" on one line.
_INLINE_ON = regex.compile(r"(?<=\S)[ \t]*(?:-{2,}[ \t]*)?(?=On [^\n]{8,200}\bwrote:[ \t]*$)")


def header_block(lines: list[str], i: int) -> int:
    """Number of lines of an Outlook-style header block starting at line i, or 0.

    A block is two or more "Key: value" lines (From/Sent/To/Subject or their
    translations) with a "from" key among them, allowing wrapped values and
    single blank lines in between, as Outlook's HTML-to-text conversion leaves them.
    """
    first = P.RE_HEADER_LINE.match(lines[i])
    if not first:
        return 0
    keys: list[str] = [first.group("key").lower()]
    last = i
    j = i + 1
    while j < len(lines) and j < i + _HEADER_WINDOW:
        line = lines[j]
        m = P.RE_HEADER_LINE.match(line)
        if m:
            keys.append(m.group("key").lower())
            last = j
        elif not line.strip():
            if j + 1 < len(lines) and P.RE_HEADER_LINE.match(lines[j + 1]):
                j += 1
                continue
            break
        elif j - last > 1:
            break  # at most one continuation line per header
        j += 1
    distinct = set(keys)
    if len(distinct) < 2 or not (distinct & (P.FROM_KEY_SET | P.DATE_KEY_SET)):
        return 0
    # "To:" and "Cc:" alone are too common in prose; a date/sent/subject key must be there too.
    if distinct <= P.FROM_KEY_SET | {"to", "cc", "an", "à", "a", "aan", "till", "til", "para", "do", "at"}:
        return 0
    # Welsh "At:" (To) is also English for where an event is: "Date: ... At: Town Hall".
    if "at" in distinct and not distinct & P.FROM_KEY_SET:
        return 0
    return last - i + 1


def one_line_header(line: str) -> bool:
    """Outlook HTML flattened to one line: "From: bob@x.org Sent: Thu ... To: ... Subject: ..."."""
    first = P.RE_HEADER_LINE.match(line)
    if not first or first.group("key").lower() not in P.FROM_KEY_SET:
        return False
    return len(P.RE_INLINE_KEY.findall(line[first.end():])) >= 1


def _date_header(lines: list[str], i: int) -> int:
    # "<date/time> <name> <address>:" (Russian/Ukrainian Outlook, mobile clients).
    if not P.RE_DIGIT_OR_AT.search(lines[i]) or len(lines[i]) > 200:
        return 0
    if not (_DATE_START.match(lines[i]) or _TIME.search(lines[i])):
        return 0
    for span in range(1, _MAX_WRAP):
        window = lines[i : i + span]
        if len(window) < span or (span > 1 and not window[-1].strip()):
            break
        if _ADDR_COLON_END.search(" ".join(window)):
            return span
    return 0


def _date_address_line(lines: list[str], i: int) -> int:
    # Gmail until 2012: "2011/4/7 Nathan <support@example.com>" with no "wrote:", then
    # the ">" quote. Only a quote block right below makes such a line a header.
    line = lines[i]
    if len(line) > 200 or not _DATE_START.match(line) or not _ADDR_END.search(line):
        return 0
    for j in range(i + 1, min(i + 3, len(lines))):
        if lines[j].strip():
            return 1 if talon_q.QUOT_PATTERN.match(lines[j]) else 0
    return 0


def rejoin_wrapped_quotes(lines: list[str], markers: list[str]) -> None:
    """Mark as quoted the tail of a quoted line that a client re-wrapped without its ">".

    "> ... Nullam pharetra d" / "ignissim odio?" / "> next": a lone unquoted line
    between two quoted lines, after a long quoted line cut mid-sentence (or starting
    in lower case), is the rest of that line, not an interleaved answer.
    """
    for i in range(1, len(lines) - 1):
        if markers[i] != "t" or markers[i - 1] != "m" or markers[i + 1] != "m":
            continue
        prev = lines[i - 1].rstrip()
        if len(prev) >= 50 and (lines[i].lstrip()[:1].islower() or prev[-1:] not in ".!?:"):
            markers[i] = "m"


def split_inline_headers(lines: list[str]) -> list[str]:
    """Put an "On ... wrote:" that follows reply text on the same line on its own line."""
    out: list[str] = []
    for line in lines:
        m = _INLINE_ON.search(line) if "wrote:" in line and not QUOT_PATTERN.match(line) else None
        # "> On ... wrote:" is a quoted header and "--- On ... wrote:" Yahoo's: not reply text plus a header.
        if m and line[: m.start()].strip(" \t>-\u00a0"):
            out.extend((line[: m.start()], line[m.start():].lstrip()))
        else:
            out.append(line)
    return out


# Without an "On" opener a header says when or who: an address, a time, a year or a
# numeric date. Any digit is not enough: "Commit c55af7f719cb writes:" opens a citation.
_WHEN_OR_WHO = regex.compile(r"@|\b\d{1,2}[:.]\d{2}\b|\b(?:19|20)\d{2}\b|\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")


def _wrote_header(lines: list[str], i: int) -> int:
    """Number of lines of an "On <date>, <person> wrote:" header starting at line i, or 0."""
    first = lines[i]
    if not first.strip() or len(first) > 300:
        return 0
    for span in range(1, _MAX_WRAP + 1):
        if i + span > len(lines):
            break
        window = lines[i : i + span]
        if span > 1 and not window[-1].strip():
            break
        joined = " ".join(w.strip() for w in window)
        if len(joined) > 400:
            break
        if P.RE_WROTE_END.search(joined) and P.RE_DIGIT_OR_AT.search(joined):
            # A wrapped header must begin like one; a one-liner ending in "wrote:" suffices.
            # It begins at its opener: a line above "On ..." (a device line, a URL with
            # digits) is the reply's last line, not the header's first.
            if span > 1 and (P.RE_SENT_FROM.match(first) or (
                    not P.RE_ON_START.match(first) and any(P.RE_ON_START.match(w) for w in window[1:]))):
                return 0
            if P.RE_ON_START.match(first) or (
                    _WHEN_OR_WHO.search(joined) and (span == 1 or P.RE_DIGIT_OR_AT.search(first))):
                return span
    return 0


# "Key: value" with a date or an address in it, in any language ("Fra: A <a@b.dk>").
_ANY_HEADER = re.compile(r"^[ \t>]*[*_]{0,2}[^\W\d_][\w .'’-]{0,24}[*_]{0,2}[ \t]*[:：].*(?:\d|@)")


def _dashed_banner(lines: list[str], i: int) -> bool:
    """A dashed banner in words we do not know ("-------- Original-Nachricht --------").

    It is a quote banner only when the old message's headers follow it: the same
    dashes frame form prompts ("---- Enter feedback below ----") and section titles.
    """
    if not P.RE_DASHED_BANNER.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 4] if line.strip()][:2]
    return any(_ANY_HEADER.match(line) for line in following)


def is_splitter_at(lines: list[str], i: int) -> int:
    """Number of lines of a quote header starting at line i (0 when there is none)."""
    line = lines[i]
    if P.RE_ORIGINAL_BANNER.match(line) or P.RE_FORWARD_BANNER.match(line) or _dashed_banner(lines, i):
        return 1
    if P.RE_NOTES_WROTE.match(line) or P.RE_GROUPWISE.match(line):
        return 1
    if one_line_header(line):
        return 1
    n = header_block(lines, i)
    if n:
        return n
    # Both remaining rules end on a colon within the next lines: skip the regexes otherwise.
    if any(":" in ln or "：" in ln for ln in lines[i : i + _MAX_WRAP]):
        n = _wrote_header(lines, i) or _date_header(lines, i)
        if n:
            return n
    elif "@" in line:
        n = _date_address_line(lines, i)
        if n:
            return n
    window = "\n".join(lines[i : i + 6])
    for pattern in _TALON_SPLITTERS:
        m = pattern.match(window)  # compiled: regex.match() would re-look-up its cache
        if m:
            return max(1, len(m.group().splitlines()))
    return 0


def mark(lines: list[str]) -> str:
    """talon's markers (e empty, m quoted, s splitter, f forward, t text) with our splitters."""
    markers = ["e"] * len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or P.RE_ELISION.match(line):
            # An elision ("[...]") stands where quoted text was cut: neither the
            # reply nor a quote of its own, it must not split a quote in two.
            i += 1
            continue
        if talon_q.QUOT_PATTERN.match(line) and not P.RE_GROUPWISE.match(line):
            markers[i] = "m"
            i += 1
            continue
        n = is_splitter_at(lines, i)
        if n:
            kind = "f" if forward_words(line) else "s"
            for j in range(i, min(i + n, len(lines))):
                markers[j] = kind
            i += n
            continue
        markers[i] = "t"
        i += 1
    rejoin_wrapped_quotes(lines, markers)
    return "".join(markers)


def forward_words(line: str) -> bool:
    return bool(P.RE_FORWARD_BANNER.match(line) or talon_q.RE_FWD.match(line))
