"""Find disclaimers, banners and list footers: built-in patterns plus boilerplate learned per archive.

The learning itself (which blocks several senders repeat) is replyall.cleaning.boilerplate;
here a learned block is one more kind of footer or banner.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Protocol

from replyall.cleaning import patterns as P

__all__ = ["BoilerplateMatcher", "any_quoted", "fingerprint", "find_disclaimer", "find_banner", "paragraphs"]

# Statements that only ever stand in a footer, so one sentence of them is enough:
# how mail to a public body is monitored, that Welsh is welcome, that a gateway
# scanned the message. Narrow on purpose: comms teams write about monitoring
# social media, never about their e-mail to "the Council" being monitored.
_MONITORED = (
    r"(?:e-?mails?|communications?|messages?|correspondence)[^.]{0,40}\b(?:to|from|with) (?:and from )?"
    r"(?:the|this|our) (?:council|organi[sz]ation|trust|authority|force|service|department|board|company)"
    r"[^.]{0,60}(?:may|will|could) be (?:monitored|recorded|intercepted)"
)
_WELSH = (
    r"welcome (?:receiving )?correspondence in welsh|correspond(?:ing|ence)? (?:with us )?in welsh|"
    r"croesawu gohebiaeth|(?:ymateb|gohebu|gohebiaeth) yn gymraeg"
)
_SCANNED = (
    r"scanned (?:for|by)[^.]{0,30}(?:virus|malware)|"
    r"scanned by (?:the )?(?:symantec|mimecast|messagelabs|proofpoint|sophos|barracuda|microsoft)"
)
# Phrases of confidentiality notices, virus-scan notices, environment pleas and
# mailing-list footers. One strong phrase is rarely enough on its own, so a
# paragraph needs two, or one plus a label or separator (see _is_disclaimer).
_PHRASES = re.compile(
    r"intended (?:solely )?(?:only )?(?:for the )?(?:use of the )?(?:recipient|addressee)|"
    r"received (?:this|the) (?:e-?mail|message|communication|transmission)[^.]{0,40} in error|"
    r"(?:is|are|may be|may contain|contains?) (?:strictly )?(?:confidential|privileged)|"
    r"legally privileged|confidential(?:ity)? (?:notice|information|and)|"
    r"notify the sender|delete (?:it|this (?:e-?mail|message)|the (?:e-?mail|message)|all copies)|"
    r"(?:any )?(?:unauthori[sz]ed )?(?:use|disclosure|copying|distribution|dissemination)[^.]{0,40}(?:prohibited|not permitted)|"
    r"views (?:or opinions )?expressed|do(?:es)? not necessarily (?:represent|reflect)|"
    r"scanned (?:for|by)[^.]{0,30}(?:virus|malware)|virus[- ](?:free|checked|scanned|protection)|"
    r"free (?:of|from) (?:viruses|virus)|"
    r"consider the environment|before printing|think before you print|save paper|"
    r"mailing list|listinfo|unsubscribe|you received this (?:message|email) because|"
    r"google groups|subscribed to the|list archives?|"
    r"registered (?:office|in england|company)|company (?:number|registration)|"
    r"data protection|privacy (?:notice|policy)|gdpr|"
    # UK public bodies: Freedom of Information, monitoring, Welsh-language and
    # secure-mail notices (NHSmail, mail gateways' scan and archive lines).
    r"freedom of information|(?:may|might|could|will) (?:be|have to be) (?:disclosed|released)|"
    r"subject to (?:public )?disclosure|required to disclose|"
    r"(?:monitored|recorded) (?:and/or|and|or) (?:monitored|recorded)|for lawful (?:business )?purposes|"
    + _MONITORED + "|" + _WELSH + "|" + _SCANNED + "|"
    r"secure e-?mail|automatically archived|"
    r"vertraulich|nicht der richtige adressat|bitte benachrichtigen|irrtümlich|ausschließlich für|"
    r"confidentiel|destinataire|merci de (?:le )?détruire|par erreur|usage exclusif|"
    r"vertrouwelijk|geadresseerde|per abuis|uitsluitend bestemd|"
    r"riservat[oaie]|destinatari[oa]|per errore|uso esclusivo|"
    r"confidencial|por (?:error|engano)|uso exclusivo",
    re.I,
)
_LABEL = re.compile(
    r"^[\s*_\[]*(?:disclaimer|confidentiality|confidential|notice|important|legal|privacy|"
    r"haftungsausschluss|avertissement|aviso|avviso|caution|warning)\b",
    re.I,
)
# Banners that mail gateways put above the message.
_BANNER = re.compile(
    r"^[\s*\[]*(?:caution|warning|attention|external(?: email| sender| message)?|notice)\b[^\n]{0,20}[:\]\-!]"
    r"|originated from outside|from an external (?:sender|source)|outside (?:of )?(?:the|your|our) organi[sz]ation"
    r"|do not click links or open attachments|this (?:message|email) came from outside",
    re.I,
)
# A notice's title on a line of its own, above it.
_TITLE = re.compile(
    r"^[\s*_\[]*(?:[^\W\d_]+ ){0,3}(?:disclaimer|confidentiality|confidentialité|confidencialidad|riservatezza|"
    r"notice|haftungsausschluss|vertraulichkeitshinweis|rechtlicher hinweis|avis juridique|avis légal)"
    r"(?: [^\W\d_]+){0,2}[\s*_:\]]*$",
    re.I,
)
# Microsoft 365's first-contact safety tip, which Outlook puts above the text of mail
# from an unfamiliar sender: "You don't often get email from ann@x.org. Learn why this
# is important<https://aka.ms/LearnAboutSenderIdentification>".
_SAFETY_TIP = re.compile(r"don['’]?t often get e-?mail from|LearnAboutSenderIdentification", re.I)
_SELF_CONTAINED = re.compile(
    r"consider the environment|before printing|think before you print|listinfo|"
    r"you received this (?:message|email) because|to unsubscribe|unsubscribe from this group|"
    + _MONITORED + "|" + _WELSH + "|" + _SCANNED,
    re.I,
)
_WS = re.compile(r"\s+")


def paragraphs(lines: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """(first, last+1) line ranges of the blank-line separated blocks in lines[start:end]."""
    out: list[tuple[int, int]] = []
    i = start
    while i < end:
        if not lines[i].strip():
            i += 1
            continue
        j = i
        while j < end and lines[j].strip():
            j += 1
        out.append((i, j))
        i = j
    return out


def fingerprint(block: Iterable[str]) -> str:
    """A stable key for a block: whitespace and case folded, so rewrapping does not matter."""
    text = _WS.sub(" ", " ".join(block)).strip().casefold()
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# Longer blocks are code, logs or prose, never a footer; the phrase search costs
# time in proportion to the text, and patch mail has paragraphs of many kilobytes.
_MAX_FOOTER_CHARS = 4000
# Paragraphs without a notice phrase that a rule-opened notice above may still take in.
_MAX_PLAIN, _MAX_PLAIN_CHARS = 3, 600


def _hits(block: list[str]) -> set[str]:
    text = " ".join(s.strip() for s in block)
    if len(text) > _MAX_FOOTER_CHARS and not any_quoted(block):  # quoted history: see find_disclaimer
        return set()
    return {m.group(0).lower() for m in _PHRASES.finditer(text)}


def _is_disclaimer(block: list[str], after_separator: bool, hits: set[str] | None = None) -> bool:
    hits = _hits(block) if hits is None else hits
    if len(hits) >= 2:
        return True
    if hits and (after_separator or _LABEL.match(block[0]) or _SELF_CONTAINED.search(" ".join(block))):
        return True
    return False


_UNSEEN = " \t\r\n\f\v\u00a0\u00ad\u200b\u200c\u200d\u2060\ufeff"


def _inner_rule(block: list[str]) -> int | None:
    """Index of a rule or "-- " inside a notice's paragraph with no notice phrase above it, or None."""
    for r in range(1, len(block) - 1):
        if P.RE_SEPARATOR.match(block[r]) or P.RE_SIG_DASHES.match(block[r]):
            return None if _hits(block[:r]) else r
    return None


def any_quoted(block: list[str]) -> bool:
    """Any line quoted: not the sender's own block (never learned)."""
    return any(line.lstrip().startswith(">") for line in block if line.strip())


def _all_quoted(block: list[str]) -> bool:
    """Every line quoted, as the cleaner tells quoted lines (a leading ">")."""
    return all(line.startswith(">") for line in block if line.strip())


def _only_links(block: list[str]) -> bool:
    """One or two lines that are only links: where a notice says its full text is."""
    return len(block) <= 2 and all(P.RE_BARE_LINK.match(line) for line in block)


def _contact_lines(block: list[str]) -> bool:
    """A short block of company details: an address line, "tel ... fax ... e-mail ..."."""
    return len(block) <= 4 and any(P.RE_PHONE.search(s) or P.RE_EMAIL.search(s) for s in block)


class BoilerplateMatcher(Protocol):
    def is_boilerplate(self, block: list[str], domain: str | None) -> bool: ...


def find_disclaimer(
    lines: list[str],
    start: int,
    end: int,
    *,
    domain: str | None = None,
    learned: BoilerplateMatcher | None = None,
    allow_first: bool = False,
) -> int | None:
    """Index where the trailing disclaimer/footer of lines[start:end] begins, or None.

    Walks paragraphs upwards from the bottom while each is a disclaimer (built-in
    phrases) or learned boilerplate; a separator line above the first one joins it.
    A notice often runs over several paragraphs of which only the first says enough
    on its own ("... riservate e per uso esclusivo del destinatario." / "Persone
    diverse dal destinatario ..."), and a corporate footer closes with a rule and the
    company's address and phone numbers: such paragraphs join a footer when a
    disclaimer stands above them, never on their own. A notice that a rule opens
    (a line of "*" or "_" above it) runs to the end: up to three short paragraphs
    below it join it even with no notice phrase in them. A `-- ` delimiter with
    nothing but the footer below it introduces the footer and goes with it.
    The first paragraph is the reply and never a footer, unless `allow_first` (for
    text below a quote, where a list footer often stands alone).
    """
    # Protective markings at the very bottom ("OFFICIAL") are footer whatever is above.
    # Lines a reader cannot see (soft hyphens, zero-width spaces) close some footers.
    marked: int | None = None
    bottom = end
    while bottom > start:
        shown = lines[bottom - 1].strip(_UNSEEN)
        if shown and not P.is_marking(shown):
            break
        bottom -= 1
        if shown:
            marked = bottom
    end = bottom
    paras = paragraphs(lines, start, end)
    cut: int | None = None
    closed = False  # a rule closes the text: company details above it may be footer
    plain = 0  # paragraphs with nothing of a footer in them, below any footer found yet
    first_rule: int | None = None  # found when first needed: most text has no rule at all
    for k in range(len(paras) - 1, -1 if allow_first else 0, -1):
        a, b = paras[k]
        block = lines[a:b]
        if cut is not None and _all_quoted(block):
            # History quoted at the very end, right above the footer: the caller keeps
            # its quoted lines as quote. (A quote that carried its own list footer is
            # caught by the phrases below, whatever its length.)
            cut = a
            continue
        sep = P.RE_SEPARATOR.match(block[0]) is not None
        content = block[1:] if sep and len(block) > 1 else block
        prev_sep = k > 0 and P.RE_SEPARATOR.match(lines[paras[k - 1][1] - 1]) is not None
        hits = _hits(content)
        if _is_disclaimer(content, sep or prev_sep, hits) or (learned and learned.is_boilerplate(block, domain)):
            if plain and not (sep or prev_sep):
                break  # what follows this notice is the reply's ("P.S. ..."), so neither is footer
            cut = a
            inner = None if sep else _inner_rule(block)
            if inner is not None:
                # "Ann Smith\nPress Officer\n-----\nThis communication is confidential..." or
                # "Ann\n-- \nYou received this message because...": the lines above the rule
                # are the sender's, the notice starts at the rule.
                cut = a + inner
                break
            if prev_sep and not sep:
                pa, pb = paras[k - 1]
                cut = pb - 1 if pb - 1 > pa else pa
            continue
        if sep and len(block) == 1 and cut is not None:
            cut = a  # the separator line above a footer
            continue
        if cut is not None and len(content) == 1 and _TITLE.match(content[0]):
            cut = a  # the notice's title: "Statement of Confidentiality", "Legal notice"
            continue
        if k == len(paras) - 1 and P.RE_SEPARATOR.match(block[-1]):
            # A closing rule: may close a footer; cut only if a disclaimer turns up above.
            closed, content = True, content[:-1]
            hits = _hits(content)
        if not content or hits or (closed and _contact_lines(content)) or _only_links(content):
            continue  # joins a footer if a disclaimer turns up above it ("https://example.org/disclaimer")
        if cut is None and plain < _MAX_PLAIN and len(" ".join(content)) <= _MAX_PLAIN_CHARS:
            if first_rule is None:
                first_rule = next((i for i in range(start, end) if P.RE_SEPARATOR.match(lines[i])), end)
            if first_rule >= a:
                break
            # Joins only a notice that a rule opens ("*****" above it): NHSmail's puts
            # paragraphs about the service and a link under its confidentiality notice.
            plain += 1
            continue
        break
    if cut is None:
        cut = marked
    if cut is not None:
        above = cut - 1
        while above >= start and not lines[above].strip():
            above -= 1
        if above >= start and P.RE_SIG_DASHES.match(lines[above]) and (allow_first or above > paras[0][0]):
            cut = above
    return cut


def find_banner(lines: list[str], end: int, *, domain: str | None = None,
                learned: BoilerplateMatcher | None = None) -> int:
    """Number of leading lines that are a gateway banner ("CAUTION: external email") or markings.

    A protective marking ("OFFICIAL") may stand above or below the gateway's banner,
    or on the first line of the text itself. The last paragraph is never a banner.
    """
    paras = paragraphs(lines, 0, end)
    top = 0
    banner = False  # one gateway banner at most: a reply may open with "Notice: ..." itself
    for k, (a, b) in enumerate(paras):
        block = lines[a:b]
        marks = next((n for n, line in enumerate(block) if not P.is_marking(line)), len(block))
        if marks and (marks < len(block) or k < len(paras) - 1):
            top = a + marks
            if marks < len(block):
                break
            continue
        text = " ".join(s.strip() for s in block)
        if k < len(paras) - 1 and len(text) < 400 and _SAFETY_TIP.search(text):
            top = b  # Microsoft 365's tip comes on top of any gateway's banner
            continue
        if not banner and k < len(paras) - 1 and len(text) < 400 and (
            _BANNER.search(text) or (learned and learned.is_boilerplate(block, domain))
        ):
            top, banner = b, True
            continue
        break
    return top
