"""Find the signature at the end of a reply: delimiters, device lines, sign-offs, talon's classifier."""

from __future__ import annotations

import re
from pathlib import Path

from replyall.cleaning import patterns as P
from replyall.cleaning import sigmodel
from replyall.mail.pictures import RE_MARK

__all__ = ["find_signature", "says_something"]

# git format-patch ends a patch with "-- " and git's version.
_GIT_VERSION = re.compile(r"^[ \t]*\d+\.\d+(?:\.\d+)*(?:\.windows\.\d+)?[ \t]*$")
# A signature block is short; past this many non-empty lines it is prose.
_MAX_SIG_LINES = 12
_MAX_SIG_LINE = 80
_MAX_NAME_WORDS = 5


# A link as html_to_text renders it, "Help Center <https://...>": its address makes
# the line long but is not what the reader sees.
_LINK = re.compile(r"\s*<(?:https?|mailto):[^>\s]*>")
# A picture's mark (a logo, a row of social-media icons, each maybe linked) has no words
# a reader sees: the rules read its line as blank, so it neither breaks a signature block
# nor starts one.
_PICTURE = re.compile(f"{RE_MARK.pattern}(?:{_LINK.pattern})?")
# Lower-case words inside names: "Jean de la Croix", "Anne van der Berg".
_PARTICLES = frozenset("de la le du da di del der den van von ter ten bin al el y".split())
_NAME_CHARS = re.compile(r"^[^\W\d_][^\W\d_ .'’-]*(?:[ .'’-]+[^\W\d_]+)*\.?$")
# What follows a name in brackets: pronouns "(she/her)", post-nominals "(MCIPR)".
_NAME_NOTE = re.compile(r"\s*\([^()]{1,24}\)\s*$")
_NAME_SPLIT = re.compile(r"\s*(?:,|\||–|—| - )\s*")


# Carriers' longer device lines: "Sent from my BlackBerry 10 smartphone on the EE network."
_DEVICE = re.compile(r"\b(?:smartphone|galaxy|iphone|ipad|blackberry|android|samsung|huawei|xperia|pixel)\b", re.I)


def _shown(line: str) -> str:
    return _LINK.sub("", line)


def _nonblank(lines: list[str], start: int, end: int) -> list[int]:
    return [i for i in range(start, end) if lines[i].strip()]


def _looks_like_name(line: str) -> bool:
    """A short line of one to five words with no sentence punctuation, as names are."""
    s = line.strip().lstrip("-–— ").strip()
    if not s or len(s) > 40 or s.endswith((".", "?", ":", ";")):
        return False
    words = s.split()
    return 1 <= len(words) <= _MAX_NAME_WORDS and any(c.isalpha() for c in s)


def _sig_line(line: str) -> bool:
    """A line that could sit in a signature block: name, role, phone, web, address."""
    s = line.strip()
    if len(s) > _MAX_SIG_LINE:
        return False
    if P.RE_PHONE.search(s) or P.RE_URL.search(s) or P.RE_EMAIL.search(s) or P.RE_ROLE.search(s):
        return True
    if s.endswith((".", "?", "!")) and len(s.split()) > 6:
        return False  # a sentence
    return len(s.split()) <= 8


def _dash_delimiter(lines: list[str], end: int) -> int | None:
    # RFC 3676 4.3: "-- " on its own line starts the signature. Many clients drop
    # the trailing space, so "--" counts too; the block below must be short.
    for i in range(end - 1, -1, -1):
        if P.RE_SIG_DASHES.match(lines[i]):
            below = _nonblank(lines, i + 1, end)
            if len(below) > 1 and _GIT_VERSION.match(lines[below[0]]):
                continue  # the "-- \n2.39.2" that ends a pasted git patch, with the author's text below
            above = _nonblank(lines, 0, i)
            if above and len(below) <= _MAX_SIG_LINES + 4:
                return i
            return None
    return None


def _sent_from(lines: list[str], end: int) -> int | None:
    # "Sent from my iPhone" sits at the very bottom (maybe above a name or a dash
    # line): only the last two non-empty lines qualify, so prose that mentions
    # "sent from" higher up stays.
    idx = _nonblank(lines, 0, end)
    for i in reversed(idx[-2:]):
        if P.RE_SENT_FROM.match(lines[i]) or P.RE_SENT_FROM_TAIL.match(lines[i]):
            words = len(lines[i].split())
            if (words <= 9 or (words <= 12 and _DEVICE.search(lines[i]))) and _nonblank(lines, 0, i):
                # A name typed right above the device line ("Ann Smith\nSent from my
                # iPhone") signs it too, as long as some reply is left above the name.
                if i > 0 and _looks_like_name(lines[i - 1]) and not lines[i - 1].strip().endswith(",") \
                        and _nonblank(lines, 0, i - 1):
                    return i - 1
                return i
    return None


def _valediction(lines: list[str], end: int) -> int | None:
    # "Thanks,\nAnn Smith\nHead of Unit\n+44 20 ..." -> from "Thanks," down.
    idx = _nonblank(lines, 0, end)
    if len(idx) < 2:
        return None
    tail = idx[-(_MAX_SIG_LINES + 1):]
    for pos, i in enumerate(tail):
        line = lines[i]
        below = tail[pos + 1:]
        if any(_CITED.match(lines[j]) for j in below):
            continue  # "[1] https://..." under the name: the text's own references go on below it
        if P.RE_VALEDICTION.match(line) and below and len(below) <= _MAX_SIG_LINES:
            # The name may carry a role: "RAIMUNDO SAGARZAZU | Electronics Development".
            name = _NAME_SPLIT.split(_shown(lines[below[0]]).strip(), maxsplit=1)[0]
            if _looks_like_name(name) and (all(_sig_line(lines[j]) for j in below) or _card_then_notes(lines, below)):
                if _nonblank(lines, 0, i):
                    return i
        if P.RE_VALEDICTION_NAME.match(line) and all(_sig_line(lines[j]) for j in below):
            if len(below) <= _MAX_SIG_LINES and _nonblank(lines, 0, i):
                return i
    return None


def _card_then_notes(lines: list[str], below: list[int]) -> bool:
    """Below a sign-off: a card (name, role, contact lines), then short notes of any kind.

    Public-sector signatures go on after the card: "My working days are Monday to
    Thursday.", "Follow us on Twitter", a privacy-notice sentence. A paragraph of
    signature lines with contact details, right under the sign-off, is the card; what
    follows it belongs to the signature too, except a postscript.
    """
    card = [below[0]]
    for j in below[1:]:
        if j != card[-1] + 1:
            break
        card.append(j)
    if len(card) < 2 or len(card) == len(below) or not all(_sig_line(_shown(lines[j])) for j in card):
        return False
    if not any(_contact(lines[j]) for j in card):
        return False
    return not any(_POSTSCRIPT.match(lines[j]) for j in below[len(card):])


_POSTSCRIPT = re.compile(r"^[ \t]*P\.?P?\.?S\b", re.I)


def _dash_name(lines: list[str], end: int) -> int | None:
    # "-Abhishek Kona" / "/John" signed below the reply after a blank line. A list
    # item ("- Budget") is told apart by the capital, the blank line above and no
    # other list item before it.
    idx = _nonblank(lines, 0, end)
    if len(idx) < 2:
        return None
    i = idx[-1]
    m = P.RE_DASH_NAME.match(lines[i])
    if not m or not m.group("name")[0].isupper() or lines[i - 1].strip():
        return None
    above = lines[idx[-2]].lstrip()
    if above[:1] in "-–—*•/~" or above[:2].rstrip(".)").isdigit():
        return None
    return i


def _name_head(line: str) -> bool:
    """'Ann Smith', 'Ann Smith, Head of Communications', 'Ann Smith | Press Office'."""
    s = _shown(line).strip()
    name = _NAME_NOTE.sub("", _NAME_SPLIT.split(s, maxsplit=1)[0])
    words = name.split()
    if not 2 <= len(words) <= 4 or len(name) > 40 or len(s) > _MAX_SIG_LINE or not _NAME_CHARS.match(name):
        return False
    # Capitalised words, not all capitals ("HIGH BALANCE" is a heading).
    return name != name.upper() and words[0][0].isupper() and all(
        w[0].isupper() or w.casefold() in _PARTICLES for w in words
    )


def _contact(line: str) -> bool:
    s = _shown(line)
    return bool(P.RE_PHONE.search(s) or P.RE_EMAIL.search(s) or P.RE_URL.search(s))


def _contact_block(lines: list[str], end: int) -> int | None:
    # "Ann Smith, Head of Communications\nAnytown Council\nTel: 01632 960456\nwww.anytown.gov.uk"
    # signed without a sign-off, below a blank line: a name, then only signature
    # lines, with contact details. talon's classifier misses it when the links of an
    # HTML signature make its lines long. A line ending in ":" above introduces
    # the block as part of the reply ("The office is at:").
    idx = _nonblank(lines, 0, end)
    for pos in range(max(1, len(idx) - _MAX_SIG_LINES), len(idx)):  # some text must stand above
        i, block = idx[pos], idx[pos:]
        if lines[i - 1].strip() or len(block) < 2 or not _name_head(lines[i]):
            continue
        if lines[idx[pos - 1]].rstrip().endswith(":") or not all(_sig_line(_shown(lines[j])) for j in block[1:]):
            continue
        contacts = sum(_contact(lines[j]) for j in block)
        if contacts >= 2 or (contacts and any(P.RE_ROLE.search(_shown(lines[j])) for j in block)):
            return i
    return None


def _ml(lines: list[str], end: int, sender: str, cache_dir: Path | None) -> int | None:
    body = lines[:end]
    while body and not body[-1].strip():
        body = body[:-1]
    if len(_nonblank(body, 0, len(body))) < 2:
        return None
    model = sigmodel.load_model(cache_dir)
    n = sigmodel.ml_signature_lines(body, sender, model)
    if not n:
        return None
    start = len(body) - n
    # A quoted line is someone else's words ("> Signed-off-by: <the sender>" under a
    # reply written below the quote): a signature starts below the last one.
    start += max((k + 1 for k, ln in enumerate(body[start:]) if ln.lstrip().startswith(">")), default=0)
    # A name-only tail that the classifier flags ("Bob") is a sign-off, kept with talon's
    # rule; require a contact line so prose endings are not swallowed.
    block = [ln for ln in body[start:] if ln.strip()]
    if not any(P.RE_PHONE.search(b) or P.RE_URL.search(b) or P.RE_EMAIL.search(b) for b in block):
        return None
    # Links the text cites ("[2] https://...") look like web lines to the classifier,
    # but they close the text, not a signature.
    if _CITED.match(block[-1]) or all(_CITED.match(b) or P.RE_BARE_LINK.match(b) for b in block):
        return None
    return start


_CITED = re.compile(r"^[ \t]*\[\d{1,3}\](?:[ \t:]+\S+)?[ \t]*$")


def find_signature(
    lines: list[str],
    end: int | None = None,
    *,
    sender: str | None = None,
    use_ml: bool = True,
    cache_dir: Path | None = None,
) -> int | None:
    """Index of the first signature line within lines[:end], or None.

    Rules in order of confidence: "-- " delimiter, a device line ("Sent from my
    iPhone"), a sign-off followed by a name and contact lines, a "-Name" line, then talon's
    classifier (when `use_ml`) for contact blocks without a sign-off, and last a name
    with contact lines below it, which the classifier misses when links make them long.
    """
    end = len(lines) if end is None else end
    if any("[image: " in line for line in lines[:end]):
        lines = [_PICTURE.sub("", line) if "[image: " in line else line for line in lines]
    for rule in (_dash_delimiter, _sent_from, _valediction, _dash_name):
        start = rule(lines, end)
        if start is not None:
            return start
    start = _ml(lines, end, sender or "", cache_dir) if use_ml else None
    return start if start is not None else _contact_block(lines, end)


def says_something(region: list[str]) -> bool:
    """True when the lines hold more than sign-offs and names ("Thanks" / "Ann Smith")."""
    for line in region:
        s = line.strip()
        if not s or P.RE_VALEDICTION.match(s) or P.RE_VALEDICTION_NAME.match(s) or P.RE_SENT_FROM.match(s):
            continue
        words = s.split()
        if len(words) > 3 or s.endswith((".", "?", "!", ":")) or not all(w[0].isupper() for w in words):
            return True
    return False
