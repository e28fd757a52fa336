"""Find the quoted history in an HTML body by its markup (talon's cuts plus client markers)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping

from lxml import etree

from replyall.mail.html import parse_html, render_element

__all__ = ["QUOTE_END", "QUOTE_MARK", "SIGNATURE_MARK", "html_to_marked_text"]

#: Inserted where the quotation starts; private-use characters never occur in mail text.
QUOTE_MARK = "\ue000replyall-quote\ue000"
#: Closes the quotation of a marker that holds all of it, when text follows it (a reply
#: written below the quote, a signature, a list footer).
QUOTE_END = "\ue000replyall-quote-end\ue000"
#: Inserted where the author's signature starts, when the client marks it.
SIGNATURE_MARK = "\ue000replyall-signature\ue000"
_ATTR = "data-replyall-i"

# Client markers that open the quoted part. XPath 1.0, checked in document order.
_MARKERS = (
    # Outlook on the web / new Outlook: the reply header and the "appendonsend" anchor
    "//*[@id='divRplyFwdMsg']",
    "//*[@id='appendonsend']",
    # Gmail
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote_container ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_attr ')]",
    # Apple Mail, Thunderbird, many others
    "//blockquote[@type='cite']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' moz-forward-container ')]",
    # Yahoo, Zimbra, AOL, Outlook web (older)
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' yahoo_quoted ')]",
    "//*[@id='yahoo_quoted' or starts-with(@id, 'yiv') and contains(@id, 'yahoo_quoted')]",
    "//*[@id='OLK_SRC_BODY_SECTION']",
    # Outlook for Mac (new): the quoted message and its header block
    "//*[@id='mail-editor-reference-message-container']",
    "//*[@id='divRplyFwdMsg' or @name='messageReplySection']",
    "//*[contains(@class, 'zmail_extra') or contains(@class, 'zm_quoted')]",
    "//*[@id='Zm-_Id_-Sgn']/following-sibling::*[1][self::blockquote]",
    "//*[contains(@class, 'AOLReplyDivider') or contains(@class, 'aolReplyedMessage')]",
)
# Client markers that open the author's signature. Not Apple Mail's "AppleMailSignature":
# iOS often leaves the whole reply typed inside it.
_SIGNATURE_MARKERS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' moz-signature ')]",
    "//*[@id='Signature' or @id='ms-outlook-mobile-signature']",
    # Outlook desktop (Word) sets this bookmark where it inserted the signature.
    "//a[@name='_MailAutoSig']",
)
# Outlook desktop draws the header block inside a div with a top border,
# e.g. style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm".
_OUTLOOK_BORDER = re.compile(r"border-top\s*:\s*solid\s+#(?:E1E1E1|B5C4DF)", re.I)
_FROM_START = re.compile(r"^\s*(?:From|Von|De|Van|Från|Fra|Da|Od|От|Lähettäjä)\s*:", re.I)


def _outlook_border(root: etree._Element) -> list[etree._Element]:
    found = []
    for div in root.iter("div"):
        style = div.get("style") or ""
        if _OUTLOOK_BORDER.search(style):
            text = "".join(div.itertext()).strip()
            if _FROM_START.match(text):
                found.append(div)
    return found


def _talon_cut_start(root: etree._Element, order: dict[int, etree._Element]) -> etree._Element | None:
    """The first element talon's HTML cutters would delete, mapped back to `root`."""
    from talon import html_quotations as hq

    tree = copy.deepcopy(root)
    for cut in (hq.cut_gmail_quote, hq.cut_zimbra_quote, hq.cut_blockquote,
                hq.cut_microsoft_quote, hq.cut_by_id, hq.cut_from_block):
        try:
            if cut(tree):
                break
        except Exception:  # talon's cutters are heuristics over odd markup; never fatal
            return None
    else:
        return None
    kept = {int(el.get(_ATTR)) for el in tree.iter() if isinstance(el.tag, str) and el.get(_ATTR)}
    for i in sorted(order):
        if i not in kept:
            return order[i]
    return None


def _doc_index(root: etree._Element) -> dict[int, etree._Element]:
    order: dict[int, etree._Element] = {}
    for i, el in enumerate(x for x in root.iter() if isinstance(x.tag, str)):
        el.set(_ATTR, str(i))
        order[i] = el
    return order


def html_to_marked_text(html: str, pictures: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """Text of `html` with QUOTE_MARK where markup says the quotation begins.

    Returns (text, marked). The earliest marker in document order wins: our client
    markers, Outlook's bordered header div, and whatever talon's HTML cutters
    (gmail_quote, blockquote, Microsoft, by id, From block) would remove. The mark
    means "from here on is history" up to QUOTE_END, which is there only when text
    follows a marker that holds the whole quote. Both are left out when nothing but
    white space stands outside the quote markup, or above it with no blockquote in it.
    """
    root = parse_html(html)
    if root is None:
        return "", False
    order = _doc_index(root)
    candidates: list[etree._Element] = []
    for xp in _MARKERS:
        try:
            hits = root.xpath(xp)
        except etree.XPathError:
            continue
        candidates.extend(h for h in hits if isinstance(h, etree._Element))
    candidates.extend(_outlook_border(root))
    talon_el = _talon_cut_start(root, order)
    if talon_el is not None:
        candidates.append(talon_el)
    for el in order.values():
        del el.attrib[_ATTR]
    index = {id(el): i for i, el in order.items()}
    first = min(candidates, key=lambda el: index.get(id(el), 1 << 30)) if candidates else None
    _mark_signature(root, index, None if first is None else index.get(id(first)))
    if first is None:
        return render_element(root, pictures), False
    if first is root or first.getparent() is None:
        return render_element(root, pictures), False
    _insert_mark(first, QUOTE_MARK, before=True)
    closer = first if _is_container(first) else None
    if closer is None and _CITE_PREFIX & _classes(first):
        # Thunderbird's "On ... wrote:" line, then the quote as its next sibling.
        following = first.getnext()
        closer = following if following is not None and _is_container(following) else None
    cited = False  # the quote is a blockquote: quoted lines, not a wrapped message
    if closer is not None:
        # Gmail puts a reply written below the quote inside its gmail_quote div, after
        # the blockquote (and interleaved answers between blockquotes): the quote
        # closes with the container's first blockquote when it has one.
        inner = closer if closer.tag == "blockquote" else next(closer.iter("blockquote"), None)
        cited = inner is not None
        _insert_mark(closer if inner is None else inner, QUOTE_END, before=False)
    text = render_element(root, pictures)
    before, _, rest = text.partition(QUOTE_MARK)
    quoted, _, after = rest.partition(QUOTE_END)
    if not before.strip() and (not after.strip() or not cited):
        # Nothing above the quote markup and either nothing below it, or no blockquote
        # in it: the whole message inside quote markup (a forward without a note, a
        # client that wraps everything). The markup does not say where the reply is;
        # the plain-text rules decide on the rendered text, as for text/plain mail.
        return before + quoted + after, False
    if not after.strip():
        return before + QUOTE_MARK + quoted + after, True
    return before + QUOTE_MARK + quoted + QUOTE_END + after, True


def _mark_signature(root: etree._Element, index: dict[int, int], quote_at: int | None) -> None:
    """Put SIGNATURE_MARK before the first signature the client marked above the quote."""
    found: list[etree._Element] = []
    for xp in _SIGNATURE_MARKERS:
        found.extend(h for h in root.xpath(xp) if isinstance(h, etree._Element) and id(h) in index)
    above = [el for el in found if quote_at is None or index[id(el)] < quote_at]
    if above:
        el = min(above, key=lambda e: index[id(e)])
        if el.getparent() is not None:
            _insert_mark(el, SIGNATURE_MARK, before=True)


# Markers that hold the whole quotation (not just its header line): what follows
# them is not quoted.
_CONTAINER_CLASSES = frozenset({"gmail_quote", "gmail_quote_container", "yahoo_quoted", "moz-forward-container"})
# Markers that are only the attribution line above the quote.
_CITE_PREFIX = frozenset({"moz-cite-prefix", "gmail_attr"})


def _classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").split())


def _is_container(el: etree._Element) -> bool:
    return el.tag == "blockquote" or bool(_CONTAINER_CLASSES & _classes(el))


def _insert_mark(el: etree._Element, mark_text: str, *, before: bool) -> None:
    # A <div> carrying only the mark makes it a line of its own in the text.
    mark = etree.Element("div")
    mark.text = mark_text
    if before:
        el.addprevious(mark)
    else:  # directly after the element, ahead of the text that follows it (its tail)
        mark.tail, el.tail = el.tail, None
        el.addnext(mark)
