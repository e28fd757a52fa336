"""What a reply's own text says about its parent: the attribution line of its quote and the quoted lines.

A reply that lost its In-Reply-To and References (a gateway stripped them, or the
client never wrote them) still carries its parent in the quote: "On Mon, 5 Jan 2015,
Jan Kiszka wrote:", "Am 05.01.2015 um 10:00 schrieb Jan Kiszka <jan@x.org>:", an
Outlook "From: Jan Kiszka <jan@x.org>" block, and the parent's own lines after ">".
The subject fallback takes either as proof that the reply answers a given message
when the two share no address (the common case of replies written to a list alone).

Pure functions on the stored body and quote, so the same two messages give the same
answer in any arrival order. Rather than parse every client's attribution template
in every language, we ask whether the attribution *mentions* the candidate parent's
author: by address, by Google Groups' shortened address ("jan....@gmail.com"), or by
every word of a name of two words or more.
"""

from __future__ import annotations

import re
import unicodedata

from replyall.cleaning.patterns import RE_GROUPWISE, RE_NOTES_WROTE

__all__ = ["attribution", "mentions", "quoted_lines", "said_lines", "shares_text"]

# The attribution is the quote's first lines, up to the first quoted line; clients wrap it over three at most.
_ATTRIBUTION_LINES = 4
_MARKERS = re.compile(r"^[ \t]*(?:>[ \t]*)+")
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.U)
# Google Groups' web view hides the end of the local part: "jeanne....@gmail.com".
_SHORTENED = re.compile(r"([\w.+'-]+?)\.{3}@([\w-]+(?:\.[\w-]+)+)", re.U)
# Google Groups rewrites a DMARC-protected From to "'Jan Kiszka' via jailhouse-dev".
_VIA = re.compile(r"^\s*['\"]?(.*?)['\"]?\s+via\s+\S.*$", re.I)
_WORD = re.compile(r"\w+", re.U)
# A quoted or said line must be this long (normalised) to count: "Thanks!" or "Hi Jan,"
# is in half the mail of a list and proves nothing.
_MIN_LINE = 24
# Lines of the parent compared: its opening is what a reply quotes first.
_SAID_LINES = 80
_QUOTED_LINES = 200
# Outlook/OWA header keys whose value names the quoted author.
_FROM_KEY = re.compile(r"^[ \t>]*[*_]{0,2}(?:from|von|de|van|från|fra|da|od|от|від|expéditeur|absender)[*_]{0,2}[ \t]*:", re.I)


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: "Hakkı" and "hakki", "João" and "joao" compare equal."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ı", "i"))
    return "".join(c for c in text if not unicodedata.combining(c))


def attribution(quote: str) -> str:
    """The attribution lines of a quote, folded ("" when the quote opens with quoted text).

    The first non-blank lines up to the first ">" line, when they end with a colon
    ("... wrote:", "... schrieb ...:", "... a écrit :", "... yazdı:"), the
    "From:" line of an Outlook header block, or GroupWise's and Lotus Notes' header line.
    """
    head: list[str] = []
    for line in quote.splitlines():
        if not line.strip():
            if head:
                break
            continue
        if not head and (RE_GROUPWISE.match(line) or RE_NOTES_WROTE.match(line)):
            return _fold(line.strip())  # GroupWise's ">>> Ann 12/03/2024 09:14 >>>", Lotus Notes' banner
        if _MARKERS.match(line):
            break
        head.append(line.strip())
        if len(head) >= _ATTRIBUTION_LINES:
            break
    if not head:
        return ""
    if _FROM_KEY.match(head[0]):
        return _fold(head[0])
    text = " ".join(head)
    return _fold(text) if text.rstrip().endswith((":", "：")) else ""


def _name_words(name: str) -> list[str]:
    via = _VIA.match(name or "")
    if via:
        name = via.group(1)
    return [w for w in _WORD.findall(_fold(name)) if len(w) > 1]


def mentions(attribution_text: str, name: str, address: str) -> bool:
    """Does this (folded) attribution name the author `name` <`address`>?

    By the address itself, by Google Groups' shortened form of it, or by every word
    of a name of at least two words ("Kiszka, Jan" matches "Jan Kiszka wrote:"). A
    one-word name ("Jan", "admin") is too common to prove anything alone.
    """
    if not attribution_text:
        return False
    address = _fold(address or "")
    if address and "@" in address and not address.endswith(".invalid"):
        if address in _ADDRESS.findall(attribution_text):
            return True
        local, _, domain = address.partition("@")
        for prefix, dom in _SHORTENED.findall(attribution_text):
            if dom == domain and local.startswith(prefix):
                return True
    words = _name_words(name)
    if len(words) >= 2:
        said = set(_WORD.findall(attribution_text))
        return all(w in said for w in words)
    return False


def _normal(line: str) -> str:
    return " ".join(_fold(line).split())


def quoted_lines(quote: str, body: str = "") -> frozenset[str]:
    """The quote's lines and the body's ">" lines, without markers, normalised; short ones left out.

    The body's ">" lines are an interleaved reply's quote (the cleaner keeps answers
    and the lines they answer together as the body).
    """
    lines = quote.splitlines()[:_QUOTED_LINES]
    lines += [line for line in body.splitlines() if _MARKERS.match(line)][:_QUOTED_LINES]
    out = set()
    for line in lines:
        text = _normal(_MARKERS.sub("", line))
        if len(text) >= _MIN_LINE:
            out.add(text)
    return frozenset(out)


def said_lines(text: str) -> frozenset[str]:
    """The first lines a message says itself (body, signature, disclaimer; not its quote), normalised.

    The body's own ">" lines (an interleaved reply) are someone else's words: left out.
    """
    out = set()
    for line in text.splitlines()[:_SAID_LINES]:
        if _MARKERS.match(line):
            continue
        normal = _normal(line)
        if len(normal) >= _MIN_LINE:
            out.add(normal)
    return frozenset(out)


def shares_text(quoted: frozenset[str], said: frozenset[str]) -> bool:
    """Does a reply quote this message? Two of its long lines, or its only one."""
    if not quoted or not said:
        return False
    return len(quoted & said) >= min(2, len(said))
