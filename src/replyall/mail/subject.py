"""Subject normalisation for threading: reply/forward prefixes, [list tags], (fwd)."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["display_subject", "is_forward", "is_reply", "normalize_subject", "strip_prefixes", "thread_title"]

# Reply prefixes by locale: Re (RFC 5322 3.6.5), AW (de), SV (da/no/sv), VS (fi),
# Antw/Antwort (nl/de), Odp (pl), RIF and R (it), Réf (fr Lotus Notes), YNT (tr),
# 答复/回复 (zh-CN Outlook/Foxmail), 回覆 (zh-TW).
REPLY_WORDS = (
    "re", "aw", "sv", "vs", "antw", "antwort", "odp", "rif", "r", "réf", "ynt",
    "答复", "回复", "回覆",
)
# Forward prefixes: Fwd/Fw (en), WG (de), TR (fr), Doorst (nl), RV (es), ENC (pt),
# PD (pl), VL (fi), İLT (tr), 转发 (zh-CN), 轉寄/轉發 (zh-TW).
FORWARD_WORDS = (
    "fwd", "fw", "wg", "tr", "doorst", "rv", "enc", "pd", "vl", "i̇lt", "ilt",
    "转发", "轉寄", "轉發",
)

_WORDS = "|".join(
    re.escape(w) for w in sorted(REPLY_WORDS + FORWARD_WORDS, key=len, reverse=True)
)
# A prefix token: word, optional counter ("Re[2]:", "Re^2:", "Re(2):", "RE 2:" from
# old Eudora), optional space before the colon (French typography: "Réf :").
# Subjects are NFKC-folded first, so the full-width colon "：" arrives as ":".
_PREFIX = re.compile(
    rf"^(?P<word>{_WORDS})\s*(?:\[\d+\]|\^\d+|\(\d+\))?\s*:",
    re.IGNORECASE,
)
_TAG = re.compile(r"^\[[^\[\]]{0,80}\]")
# What mail gateways and protective-marking tools write before or after a subject:
# "EXTERNAL:", "*EXTERNAL*", "OFFICIAL: ", "... - OFFICIAL-SENSITIVE", "***SPAM***"
# (the UK Government Security Classifications and Microsoft 365 external tagging put
# these on much public-sector mail). They say how one copy was handled, not what the
# conversation is about. Written in capitals, as the tools write them, so that
# "External: audit" stays a subject; bracketed ones are [tags] already.
_MARK_WORD = (
    r"(?:EXTERNAL(?: EMAIL| SENDER| MESSAGE)?|EXT|"
    r"OFFICIAL(?:[ \-–]+SENSITIVE)?(?:[ \-–:]+(?:PERSONAL|COMMERCIAL|LOCSEN))?|"
    r"NOT PROTECTIVELY MARKED|UNCLASSIFIED|PROTECT|RESTRICTED|SUSPECTED SPAM|SPAM)"
)
_MARK = re.compile(rf"^(?:\*+ ?{_MARK_WORD} ?\*+|\({_MARK_WORD}\)|{_MARK_WORD}(?: ?:| [\-–|](?= )))")
_MARK_SUFFIX = re.compile(
    rf"(?:\s+[\-–|]\s*{_MARK_WORD}|\s*\[\s*{_MARK_WORD}\s*\]|\s*\(\s*{_MARK_WORD}\s*\)|\s*\*+ ?{_MARK_WORD} ?\*+)\s*$"
)
_FWD_SUFFIX = re.compile(r"\s*\((?:fwd?|fw)\)\s*$", re.IGNORECASE)
# Netscape/Pine wrap forwards in brackets: "[Fwd: original subject]".
_FWD_WRAPPED = re.compile(r"^\[(?:fwd?|fw)\s*:\s*(?P<inner>.*)\]$", re.IGNORECASE | re.DOTALL)
# Tags that are content, not list names: keep them when cleaning for display.
_CONTENT_TAG = re.compile(r"^\[(?:[^\]]*\bPATCH\b|RFC\b|RESEND\b|PULL\b|GIT PULL\b|ANNOUNCE\b)", re.I)


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _prefix_chain(s: str) -> tuple[list[str], str]:
    """Split leading tags and reply/forward tokens off a folded subject.

    Returns the prefix words (casefolded, tags excluded) in order and the rest.
    """
    words: list[str] = []
    rest = s.strip()
    while True:
        wrapped = _FWD_WRAPPED.match(rest)
        if wrapped:
            words.append("fwd")
            rest = wrapped.group("inner").strip()
            continue
        tag = _TAG.match(rest) or _MARK.match(rest)
        if tag:
            rest = rest[tag.end():].lstrip()
            continue
        prefix = _PREFIX.match(rest)
        if prefix:
            words.append(prefix.group("word").casefold())
            rest = rest[prefix.end():].lstrip()
            continue
        return words, rest


def strip_prefixes(s: str | None) -> str:
    """Remove reply/forward prefixes, leading [tags], markings and "(fwd)"; keep case and spacing."""
    words, rest = _prefix_chain(_fold(s or ""))
    while True:
        stripped = _MARK_SUFFIX.sub("", _FWD_SUFFIX.sub("", rest))
        if stripped == rest:
            return rest
        rest = stripped


def normalize_subject(s: str | None) -> str:
    """Threading key: prefixes and list tags stripped, white space collapsed, casefolded."""
    return " ".join(strip_prefixes(s).split()).casefold()


def is_reply(s: str | None) -> bool:
    """True when the first prefix token (after any [tags]) is a reply prefix."""
    words, _ = _prefix_chain(_fold(s or ""))
    return bool(words) and words[0] in REPLY_WORDS


def is_forward(s: str | None) -> bool:
    """True when the first prefix token is a forward prefix, or it ends in "(fwd)"."""
    folded = _fold(s or "")
    words, _ = _prefix_chain(folded)
    if words:
        return words[0] in FORWARD_WORDS
    return bool(_FWD_SUFFIX.search(folded))


def display_subject(s: str | None) -> str:
    """Subject for display: list tags and markings removed from the prefix chain, white space collapsed.

    "Re: [team] Re: [team] Lunch" becomes "Re: Re: Lunch"; "[PATCH v2 1/3]"-style
    tags are content and stay.
    """
    text = _MARK_SUFFIX.sub("", " ".join((s or "").split()))
    pos = 0
    while pos < len(text):
        rest = text[pos:]
        tag = _TAG.match(rest)
        mark = _MARK.match(rest)
        if mark or (tag and not _CONTENT_TAG.match(rest) and not _FWD_WRAPPED.match(rest)):
            text = text[:pos] + rest[(mark or tag).end():].lstrip()
            continue
        cut = _raw_prefix_len(rest)
        if not cut or tag:
            break
        pos += cut
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return text.strip()


def thread_title(s: str | None) -> str:
    """The title a conversation is shown under: its opener's subject without list tags
    and markings ("[comms] OFFICIAL: Winter plan" -> "Winter plan"), or the subject as
    written when that would leave nothing (a "[redacted]" subject)."""
    return display_subject(s) or " ".join((s or "").split())


def _raw_prefix_len(rest: str) -> int:
    """Length in the unfolded text of the prefix token matched on the folded text."""
    for end in range(1, min(len(rest), 40) + 1):
        if _PREFIX.match(_fold(rest[:end])):
            return end
    return 0
