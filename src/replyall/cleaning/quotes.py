"""Find where the quoted history starts: talon's decision on the line markers, and our rules."""

from __future__ import annotations

import re

from talon import quotations as talon_q

from replyall.cleaning import patterns as P
from replyall.cleaning.disclaimer import find_disclaimer
from replyall.cleaning.headers import (
    QUOT_PATTERN, forward_words, header_block, is_splitter_at, mark, one_line_header, rejoin_wrapped_quotes,
    split_inline_headers,
)
from replyall.cleaning.signature import says_something

__all__ = [
    "QUOT_PATTERN", "QuoteSpan", "answers_only", "find_quote", "forward_banner", "forward_header", "is_splitter_at",
    "signs_off", "split_answers", "split_inline_headers",
]

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


_NOTE_THEN_FORWARD = re.compile(r"[te]*f")  # a forward under a note: talon keeps it whole
_TALON_CUT = re.compile(r"(?:se*)+(?:[tf]+e*)+")  # a splitter with text below: talon cuts to the end
_SPLITTERS = re.compile(r"s+")
_THREE_QUOTED = re.compile(r"(?:me*){3}")
# "Thanks, / Ann Smith / Director of Comms": a sign-off is a valediction and a few lines.
_SIGN_OFF_LINES = 4


def _opens_history(lines: list[str], start: int, end: int) -> bool:
    """Does the splitter lines[start:end] hold an unquoted header block ("From: / Sent:")?

    An "On ... wrote:" line, or a banner over ">"-quoted headers (Zimbra), may head a
    quote the author answers in; Outlook's header block never does: its client puts
    the whole history below it and nothing after.
    """
    return any(one_line_header(lines[i]) or header_block(lines, i) for i in range(start, end))


def _history_below_answers(lines: list[str], markers: str, *, headed: bool = False) -> QuoteSpan | None:
    """The history an interleaved reply carries below its last answer, or None.

    talon keeps an interleaved reply (quote, answer, quote, answer) whole, and with it
    what follows the last answer: the rest of the answered message, still quoted, or
    the whole history an Outlook client puts under its header block ("-----Original
    Message-----"), which talon cuts from any other reply (as it cuts a splitter with
    text below it). Both are history. The quoted lines between answers stay with them,
    as what they answer. `headed`: a quote marked above the lines heads their ">" lines.
    """
    if "t" not in markers or _NOTE_THEN_FORWARD.match(markers):
        return None
    for run in _SPLITTERS.finditer(markers):
        if "t" not in markers[: run.start()]:
            continue
        follows = markers[run.end():].lstrip("es")[:1]
        if follows in ("t", "f") or _opens_history(lines, run.start(), run.end()):
            return QuoteSpan(run.start(), len(lines))
    last = markers.rfind("m")
    if last < 0 or any(k in markers[last:] for k in "sf"):
        return None
    if not (headed or "s" in markers or _THREE_QUOTED.search(markers)):
        return None  # talon's own test: fewer ">" lines than three, without a header, are text
    # From the last answer's end: the quotes below it, with their attributions.
    start = markers.rfind("t", 0, last) + 1
    if start == 0 or "f" in markers[start:last]:
        return None  # a bottom-posted reply, or a forward: talon's own rules place it
    while markers[start] == "e":
        start += 1
    # Below the history, only the author's sign-off ("Thanks, Ann"), "-- " signature and
    # footer may stand: other text is a last answer, and the quote above is what it answers.
    below = next((i for i in range(last + 1, len(lines)) if P.RE_SIG_DASHES.match(lines[i])), len(lines))
    footer = find_disclaimer(lines, last + 1, len(lines), allow_first=True)
    if footer is not None:
        below = min(below, footer)
    return QuoteSpan(start, last + 1) if signs_off(lines[last + 1 : below], empty=True) else None


def signs_off(lines: list[str], *, empty: bool = False) -> bool:
    """True for a few lines that open with a valediction and say nothing more ("Thanks, Ann")
    (and, with `empty`, for blank lines or none)."""
    said = [line for line in lines if line.strip()]
    if not said:
        return empty
    if len(said) > _SIGN_OFF_LINES:
        return False
    first = said[0]
    return bool(P.RE_VALEDICTION.match(first) or P.RE_VALEDICTION_NAME.match(first)) and not says_something(said)


def find_quote(lines: list[str], *, quoted_above: bool = False) -> QuoteSpan | None:
    """The quoted span of a plain-text body, or None when the whole text is the reply.

    talon's `process_marked_lines` decides on the markers: a splitter followed by
    text cuts everything below; a block of ">" lines cuts out just that block;
    inline (interleaved) replies are left whole, as talon does, but for the history
    below their last answer.

    Only the first _MAX_LINES lines are marked: history cut to the end of those runs
    on to the end of the text, a run of ">" lines to its last line. `quoted_above`: the
    lines follow a quote the HTML marked (a reply's answers below it).
    """
    head = lines[:_MAX_LINES]
    markers = mark(head)
    # A forward ("FYI" + forwarded message) is new content for this thread, not
    # history: talon keeps it whole, and so do we (its own quotes included).
    flags = [False, -1, -1]
    talon_q.process_marked_lines(head, markers, flags)
    span = None
    if flags[0]:
        end = flags[2]
        if end == len(head) < len(lines):
            # talon cuts a splitter with text below it to the end, a run of ">" lines to its last line.
            end = len(lines) if _TALON_CUT.search(markers) else _run_end(lines, end)
        span = QuoteSpan(flags[1], end)
    else:
        # Past the marked lines, quoted lines are enough to tell where the last answer is.
        span = _history_below_answers(lines, markers + _rough_marks(lines[len(head):]), headed=quoted_above)
    device = _after_device_line(head, markers)
    if device is not None and (span is None or device < span.start):
        span = QuoteSpan(device, len(lines))
    if span is None:
        return None
    # Pull the separator line ("_____", "-----") drawn above a header into the quote.
    start = span.start
    k = start - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    if k >= 0 and _RULE.match(lines[k]) and markers[start:start + 1] == "s":
        start = k
    return QuoteSpan(start, span.end)


def _rough_marks(lines: list[str]) -> str:
    """Markers without the header rules: e blank, m quoted, t anything else."""
    return "".join("e" if not line.strip() else "m" if QUOT_PATTERN.match(line) else "t" for line in lines)


def _run_end(lines: list[str], i: int) -> int:
    """Where the run of ">" lines (and blank lines between them) going on at line i ends."""
    end = i
    while i < len(lines) and (not lines[i].strip() or QUOT_PATTERN.match(lines[i])):
        i += 1
        if lines[i - 1].strip():
            end = i
    return end


def split_answers(body: str) -> tuple[str, str]:
    """A body's own lines and the lines it answers: its ">" lines and their attributions.

    An interleaved reply's body keeps what each answer answers. A summary of what its
    author said (the daily digest's) wants the answers alone, and so does search, which
    finds quoted text only when asked to. Search runs this on every message it indexes
    and on every hit it shows, so only the line above each run of ">" lines is read for
    a header, not every line.
    """
    if ">" not in body:
        return body, ""
    lines = body.split("\n")
    markers = list(_rough_marks(lines))
    rejoin_wrapped_quotes(lines, markers)
    answered = [kind == "m" for kind in markers]
    for i in range(len(lines)):
        if not answered[i] or (i and answered[i - 1]):
            continue
        above = i - 1
        while above >= 0 and (not lines[above].strip() or P.RE_ELISION.match(lines[above])):
            above -= 1
        # An attribution ("On ..., Ann wrote:") heads the quote below it; wrapped, it
        # starts up to two lines higher.
        for first in range(max(0, above - 2), above + 1):
            if not answered[first] and first + is_splitter_at(lines, first) == above + 1:
                answered[first : above + 1] = [True] * (above + 1 - first)
                break
    own = "\n".join(line for line, quoted in zip(lines, answered) if not quoted)
    return own, "\n".join(line for line, quoted in zip(lines, answered) if quoted)


def answers_only(body: str) -> str:
    """split_answers' first half: what the author of an interleaved reply wrote."""
    return split_answers(body)[0]
