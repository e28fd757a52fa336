"""Render an HTML mail body as readable plain text (paragraphs, lists, links, tables)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from urllib.parse import unquote

import lxml.html
from lxml import etree

from replyall.mail.pictures import cid_mark

__all__ = ["html_to_text", "parse_html", "render_element"]

# Elements whose content a reader never sees.
_DROP = frozenset(
    {"head", "title", "script", "style", "noscript", "template", "object", "embed", "iframe", "svg", "map"}
)
# Block elements that start on their own line.
_LINE_BLOCKS = frozenset(
    {
        "div", "section", "article", "header", "footer", "nav", "aside", "main", "address",
        "center", "form", "fieldset", "figure", "figcaption", "dl", "dt", "dd", "tbody",
        "thead", "tfoot", "caption", "body", "html", "font-block",
    }
)
# Blocks that are separated from their neighbours by a blank line.
_PARA_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "ul", "ol", "table", "blockquote", "hr"})
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u200b\u2028\u2029]+")
# Outlook and Gmail hide preheaders and tracking text with display:none; readers never see it.
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_MSO_LINE = re.compile(r"\bMso(?:Normal|PlainText|ListParagraph\w*)\b")
# "margin:0", "margin: 0px", or top and bottom margins both zero.
_NO_MARGIN = re.compile(
    r"(?:^|;)\s*margin\s*:\s*0(?:[a-z%]*)\s*(?:;|$)"
    r"|(?=.*margin-top\s*:\s*0(?:[a-z%]*)\s*(?:;|$))(?=.*margin-bottom\s*:\s*0(?:[a-z%]*)\s*(?:;|$))",
    re.I,
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)


class _Out:
    """Accumulates text while tracking owed line breaks and the current line prefix."""

    def __init__(self, pictures: Mapping[str, str] | None = None) -> None:
        self.pictures = pictures or {}  # Content-ID -> name, for the marks of laid-out pictures
        self.parts: list[str] = []
        self.pending = 0  # newlines wanted between the last text and the next one
        self.trailing = 0  # newlines already written since the last text
        self.prefix: list[str] = []
        self.started = False

    def text(self, s: str, *, pre: bool = False) -> None:
        if not s:
            return
        if pre:
            for i, piece in enumerate(s.replace("\r\n", "\n").split("\n")):
                if i:
                    self.br()
                if piece:
                    self._write(piece)
            return
        s = _WS.sub(" ", s)
        if self.trailing or self.pending or not self.started:
            s = s.lstrip(" ")
        elif self.parts[-1].endswith(" ") and s.startswith(" "):
            s = s[1:]
        if s:
            self._write(s)

    def _write(self, s: str) -> None:
        self.settle()
        if self.trailing or not self.started:
            self.parts.append("".join(self.prefix))
        self.parts.append(s)
        self.pending = self.trailing = 0
        self.started = True

    def settle(self) -> None:
        """Write the owed line breaks now, before the line prefix changes."""
        if self.started and self.pending > self.trailing:
            self.parts[-1] = self.parts[-1].rstrip(" ")
            if self.trailing == 0:
                self.parts.append("\n")
                self.trailing = 1
            quote = "".join(self.prefix).rstrip()
            for _ in range(self.pending - self.trailing):
                self.parts.append(quote + "\n")
            self.trailing = self.pending

    def newline(self, n: int) -> None:
        self.pending = max(self.pending, n)

    def br(self) -> None:
        # A <br> always ends the current line; consecutive ones make blank lines.
        if self.started:
            self.pending = min(max(self.pending, self.trailing) + 1, 3)

    def value(self) -> str:
        return "".join(self.parts).strip("\n").rstrip()


def parse_html(html: str) -> etree._Element | None:
    """Parse a mail HTML body leniently; None when there is nothing to parse."""
    if not html or not html.strip():
        return None
    # lxml refuses str input that carries an XML encoding declaration.
    data = _XML_DECL.sub("", html).encode("utf-8", "replace")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def html_to_text(html: str, pictures: Mapping[str, str] | None = None) -> str:
    """Readable text of an HTML body: blocks on their own lines, lists bulleted, links once.

    A picture laid out by Content-ID leaves its mark (replyall.mail.pictures), named by
    `pictures` (Content-ID -> name) where the message carries it.
    """
    root = parse_html(html)
    if root is None:
        return ""
    return render_element(root, pictures)


def render_element(el: etree._Element, pictures: Mapping[str, str] | None = None) -> str:
    """Render an already parsed element (and its descendants) as text."""
    out = _Out(pictures)
    _walk(el, out, in_pre=False)
    return out.value()


def _tag(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions, entities
        return ""
    return tag.lower().rsplit("}", 1)[-1]


def _hidden(el: etree._Element) -> bool:
    style = el.get("style")
    return bool(style and _HIDDEN.search(style)) or el.get("hidden") is not None


def _walk(el: etree._Element, out: _Out, *, in_pre: bool) -> None:
    tag = _tag(el)
    if not tag or tag in _DROP or _hidden(el):
        return
    if tag == "br":
        out.br()
        return
    if tag == "hr":
        out.newline(2)
        out.text("---")
        out.newline(2)
        return
    if tag in ("ul", "ol"):
        _list(el, out, ordered=tag == "ol", in_pre=in_pre)
        return
    if tag == "table":
        _table(el, out)
        return
    if tag == "a":
        _link(el, out, in_pre=in_pre)
        return
    if tag == "img":
        # A picture from the web (a tracking pixel, a remote logo) is not part of the
        # message; one carried by it (src="cid:...") leaves its mark where it stood.
        src = (el.get("src") or "").strip()
        if src[:4].lower() == "cid:" and len(src) > 4:
            out.text(" " + cid_mark(unquote(src[4:]), out.pictures, el.get("alt") or "") + " ")
        return
    gap = 2 if tag in _PARA_BLOCKS else 1 if tag in _LINE_BLOCKS or tag in ("tr", "li") else 0
    if tag == "p" and _tight(el):
        gap = 1
    if gap == 1 and _blank_line(el):
        # "<div>&nbsp;</div>": a browser shows an empty line, as it does for "<div><br></div>".
        out.newline(1)
        out.br()
        out.newline(1)
        return
    if gap:
        out.newline(gap)
    if tag == "blockquote":
        out.settle()
        out.prefix.append("> ")
    pre = in_pre or tag in ("pre", "textarea")
    if el.text:
        out.text(el.text, pre=pre)
    for child in el:
        _walk(child, out, in_pre=pre)
        if child.tail:
            out.text(child.tail, pre=pre)
    if tag == "blockquote":
        out.prefix.pop()
    if gap:
        out.newline(gap)


def _tight(p: etree._Element) -> bool:
    """A paragraph without margins, which shows as a line: Outlook's "MsoNormal" ones.

    Outlook (through Word) writes every line as such a paragraph and a blank line as
    one holding a no-break space, so its messages read as typed only when these are lines.
    """
    cls = p.get("class")
    if cls and _MSO_LINE.search(cls):
        return True
    style = p.get("style")
    return bool(style and _NO_MARGIN.search(style))


def _blank_line(el: etree._Element) -> bool:
    """A line block that holds only no-break spaces (editors write blank lines so)."""
    if len(el) > 2 or not el.text and not len(el):
        return False
    text = "".join(el.itertext())
    return "\u00a0" in text and not text.strip(" \t\r\n\u00a0") and not any(
        _tag(c) in ("img", "br", "hr") for c in el.iterdescendants())


def _children_text(el: etree._Element, out: _Out, *, in_pre: bool) -> str:
    sub = _Out(out.pictures)
    if el.text:
        sub.text(el.text, pre=in_pre)
    for child in el:
        _walk(child, sub, in_pre=in_pre)
        if child.tail:
            sub.text(child.tail, pre=in_pre)
    return sub.value()


def _norm_url(url: str) -> str:
    url = url.strip().lower()
    for scheme in ("mailto:", "https://", "http://"):
        if url.startswith(scheme):
            url = url[len(scheme):]
    return url.rstrip("/")


def _link(el: etree._Element, out: _Out, *, in_pre: bool) -> None:
    text = _children_text(el, out, in_pre=in_pre)
    href = (el.get("href") or "").strip()
    shown = text
    # Show the target once: skip it when the text already is the address,
    # and never print javascript:, fragment or relative targets.
    if href.lower().startswith(("http://", "https://", "ftp://", "mailto:")):
        target = href[7:] if href.lower().startswith("mailto:") else href
        target = target.split("?", 1)[0] if href.lower().startswith("mailto:") else target
        if not text.strip():
            shown = target
        elif _norm_url(target) not in _norm_url(text) and _norm_url(text) not in _norm_url(target):
            shown = f"{text} <{target}>"
        elif _norm_url(text) != _norm_url(target) and _norm_url(text) in _norm_url(target):
            shown = f"{text} <{target}>"
    if "\n" in shown:
        for i, line in enumerate(shown.split("\n")):
            if i:
                out.br()
            out.text(line)
    else:
        out.text(shown)


def _list(el: etree._Element, out: _Out, *, ordered: bool, in_pre: bool) -> None:
    out.newline(2 if not out.prefix or not out.prefix[-1].startswith(" ") else 1)
    try:
        number = int(el.get("start", "1"))
    except ValueError:
        number = 1
    if el.text and el.text.strip():
        out.text(el.text)
    for child in el:
        if _tag(child) == "li" and not _hidden(child):
            marker = f"{number}. " if ordered else "- "
            number += 1
            out.newline(1)
            out.text(marker)
            out.prefix.append(" " * len(marker))
            if child.text:
                out.text(child.text, pre=in_pre)
            for sub in child:
                _walk(sub, out, in_pre=in_pre)
                if sub.tail:
                    out.text(sub.tail, pre=in_pre)
            out.prefix.pop()
            out.newline(1)
        else:
            _walk(child, out, in_pre=in_pre)
        if child.tail and child.tail.strip():
            out.text(child.tail)
    out.newline(2)


def _rows(table: etree._Element) -> Iterator[etree._Element]:
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            yield child
        elif tag in ("thead", "tbody", "tfoot"):
            yield from (r for r in child if _tag(r) == "tr")


def _table(el: etree._Element, out: _Out) -> None:
    if _hidden(el):
        return
    out.newline(2)
    for row in _rows(el):
        if _hidden(row):
            continue
        cells = [c for c in row if _tag(c) in ("td", "th") and not _hidden(c)]
        texts = [render_element(c, out.pictures) for c in cells]
        texts = [t for t in texts if t.strip()]
        if not texts:
            continue
        out.newline(1)
        if all("\n" not in t for t in texts):
            # A data row reads best on one line; layout rows usually have one cell.
            out.text(" | ".join(texts))
        else:
            for t in texts:
                out.newline(1)
                for i, line in enumerate(t.split("\n")):
                    if i:
                        out.br()
                    out.text(line)
        out.newline(1)
    out.newline(2)
