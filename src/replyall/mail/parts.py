"""Walk a MIME tree: choose the body text, decode charsets, collect attachments."""

from __future__ import annotations

import html as htmlmod
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message

from replyall.mail.charsets import clean_text, decode_bytes, decode_header_value
from replyall.mail.html import html_to_text as convert_html

__all__ = ["Attachment", "BodyWalker", "html_to_text", "unflow"]

_MAX_DEPTH = 40  # nested multiparts deeper than this are an attack, not mail
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_NAME_BAD = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


@dataclass(frozen=True)
class Attachment:
    """A non-body MIME part (or an embedded message as .eml)."""

    filename: str | None
    content_type: str
    size: int
    content_id: str | None
    payload: bytes = field(repr=False)
    inline: bool = False


def unflow(text: str, delsp: bool = False) -> str:
    """Join format=flowed soft line breaks (RFC 3676 4.1-4.5), keeping quote depth."""
    out: list[str] = []
    buf: str | None = None
    buf_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # RFC 3676 4.4 space-stuffing
        if buf is not None and depth == buf_depth:
            content = buf + content
        elif buf is not None:
            out.append(_quoted(buf_depth, buf))
        buf = None
        # RFC 3676 4.3: the signature separator "-- " is never a soft break.
        if content.endswith(" ") and content != "-- ":
            buf, buf_depth = (content[:-1] if delsp else content), depth
        else:
            out.append(_quoted(depth, content))
    if buf is not None:
        out.append(_quoted(buf_depth, buf))
    return "\n".join(out)


def _quoted(depth: int, content: str) -> str:
    return ">" * depth + " " + content if depth else content


def html_to_text(html: str, pictures: Mapping[str, str] | None = None) -> str:
    """HTML to text through replyall.mail.html; a bare tag strip when lxml cannot parse it.

    The body of a message must never be lost to a parser error: what lxml rejects
    (empty documents, broken encodings) still yields its visible words.
    """
    try:
        return convert_html(html, pictures)
    except Exception:  # noqa: BLE001 - any parser failure falls back, never raises
        text = htmlmod.unescape(re.sub(r"<[^>]*>", " ", html))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(ln.rstrip() for ln in text.split("\n"))).strip()


def _safe(fn, default=None):
    try:
        return fn()
    except Exception:
        return default


class BodyWalker:
    """Collects plain and HTML body parts and attachments from one message tree."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.part_types: list[str] = []
        self.defects: list[str] = []

    def walk(self, part: Message, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            self.defects.append("MIME nesting too deep; rest ignored")
            return
        ctype = _safe(part.get_content_type, "text/plain") or "text/plain"
        if not _MIME_TYPE.fullmatch(ctype):
            # e.g. '%22%22"application%22/pdf' from a broken webmail (HyperKitty data)
            self.defects.append("malformed Content-Type")
            ctype = "application/octet-stream"
        self.part_types.append(ctype)
        self.defects.extend(type(d).__name__ for d in getattr(part, "defects", ()))
        try:
            if ctype in ("message/rfc822", "message/global") and isinstance(part.get_payload(), list):
                self._embedded(part)
            elif part.is_multipart():
                self._multipart(part, ctype, depth)
            else:
                self._leaf(part, ctype)
        except Exception as exc:  # one bad part must not lose the rest
            self.defects.append(f"unreadable {ctype} part: {type(exc).__name__}")

    def _multipart(self, part: Message, ctype: str, depth: int) -> None:
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        if ctype == "multipart/alternative" and len(children) > 1:
            self._alternative(children, depth)
            return
        for child in children:
            self.walk(child, depth + 1)

    def _alternative(self, children: list[Message], depth: int) -> None:
        # RFC 2046 5.1.4: alternatives are in increasing order of faithfulness; we
        # still want text/plain for the text (what the sender typed) and keep the HTML
        # for HTML-aware quote removal.
        subs = []
        for child in children:
            sub = BodyWalker()
            sub.walk(child, depth + 1)
            subs.append(sub)
            self.part_types.extend(sub.part_types)
            self.defects.extend(sub.defects)
            self.attachments.extend(sub.attachments)
        with_plain = [s for s in subs if any(t.strip() for t in s.plain)]
        with_html = [s for s in subs if any(h.strip() for h in s.html)]
        if with_plain:
            self.plain.extend(with_plain[0].plain)
        if with_html:
            self.html.extend(with_html[-1].html)
        if not with_plain and not with_html:
            for sub in subs:
                self.plain.extend(sub.plain)

    def _leaf(self, part: Message, ctype: str) -> None:
        disposition = _safe(part.get_content_disposition)
        filename = _filename(part)
        is_body = ctype in ("text/plain", "text/html") and disposition != "attachment" and (
            filename is None or disposition == "inline"
        )
        if is_body:
            text = self._text(part, ctype)
            (self.html if ctype == "text/html" else self.plain).append(text)
            return
        payload = _safe(lambda: part.get_payload(decode=True), b"") or b""
        cid = _safe(lambda: part.get("content-id"))
        cid_text = decode_header_value(str(cid))[0].strip().strip("<>") if cid else None
        self.attachments.append(
            Attachment(
                filename=filename,
                content_type=ctype,
                size=len(payload),
                content_id=cid_text or None,
                payload=payload,
                inline=disposition == "inline" or (disposition is None and bool(cid_text)),
            )
        )

    def _text(self, part: Message, ctype: str) -> str:
        payload = _safe(lambda: part.get_payload(decode=True), b"") or b""
        charset = _safe(part.get_content_charset)
        if charset is None and ctype == "text/html":
            meta = _META_CHARSET.search(payload[:4096])
            charset = meta.group(1).decode("ascii", "replace") if meta else None
        text, problems = decode_bytes(payload, charset)
        self.defects.extend(f"{ctype} part: {p}" for p in problems)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        fmt = (_safe(lambda: part.get_param("format")) or "")
        if ctype == "text/plain" and str(fmt).lower() == "flowed":
            delsp = str(_safe(lambda: part.get_param("delsp")) or "").lower() == "yes"
            text = unflow(text, delsp)
        return clean_text(text)

    def _embedded(self, part: Message) -> None:
        inner = part.get_payload(0)
        data = _safe(inner.as_bytes) or _safe(lambda: inner.as_string().encode("utf-8", "replace"), b"")
        name = _filename(part)
        if not name:
            subject, _ = decode_header_value(_safe(lambda: inner.get("subject", "")) or "")
            base = _NAME_BAD.sub("_", " ".join(subject.split()))[:80].strip(" ._")
            name = f"{base or 'message'}.eml"
        self.attachments.append(
            Attachment(
                filename=clean_text(name),
                content_type="message/rfc822",
                size=len(data),
                content_id=None,
                payload=data,
                inline=_safe(part.get_content_disposition) == "inline",
            )
        )


def _filename(part: Message) -> str | None:
    """Filename from Content-Disposition or Content-Type name (RFC 2231, RFC 2047)."""
    name = _safe(part.get_filename) or _safe(lambda: part.get_param("name"))
    if isinstance(name, tuple):  # undecoded RFC 2231 triple (charset, lang, value)
        name = _safe(lambda: name[2]) or None
    if not name:
        return None
    # Outlook and Gmail RFC 2047-encode quoted filenames, which RFC 2047 5 forbids.
    text, _ = decode_header_value(str(name))
    text = clean_text(text.strip())
    return text or None
