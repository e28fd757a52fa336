"""Pictures an HTML message lays out by Content-ID, and the mark each leaves in the text.

A screenshot pasted into a reply and the logo under its signature are the same thing to
MIME: an image part that the HTML shows with <img src="cid:...">. Only where the picture
stands tells them apart. Mail clients leave a mark there in their plain-text alternative:
Gmail writes "[image: image.png]", Outlook "[cid:image001.png@01D51AB2.0BB0E1A0]". We use
Gmail's form for all of them (and for <img src="cid:..."> in HTML we render ourselves),
naming the part's file. Cleaning then carries each mark into the body, the signature or
the quote like any other words; a picture whose mark ends up in what the author wrote
was pasted there, and the web shows it in place. The rest is furniture (logos, icons,
pictures of the quoted history), folded away. An image with a Content-ID that nothing
lays out is a file like any other: Gmail and Google Groups give attached files one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

__all__ = [
    "ATTACHED", "LAYOUT", "PASTED", "RE_MARK", "cid_mark", "is_embedded", "mark", "names_by_cid", "normalise_marks",
    "placed", "roles", "shared_files",
]

#: The mark of a picture in text, as Gmail writes it.
RE_MARK = re.compile(r"\[image: ([^\]\n]{1,255})\]")
# Outlook's plain-text mark. A Content-ID has no white space or "]" (RFC 2392 url-addr-spec).
_OUTLOOK = re.compile(r"\[cid:([^\]\s]{1,255})\]")
# Lines someone else wrote, quoted with ">": their pictures are not this author's.
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.M)


class _Picture(Protocol):
    filename: str | None
    content_id: str | None
    content_type: str


_P = TypeVar("_P", bound=_Picture)


def is_embedded(content_id: str | None, content_type: str) -> bool:
    """A part the message's HTML can lay out as a picture: an image with a Content-ID. Whether
    it does, and where, its mark in the text tells (roles())."""
    return bool(content_id) and (content_type or "").lower().startswith("image/")


def _label(name: str) -> str:
    """`name` as a mark can hold it: one line, no "]", at most 255 characters."""
    return " ".join(name.replace("]", ")").split())[:255]


def mark(name: str) -> str:
    """The mark that stands in the text where the picture called `name` was laid out."""
    return f"[image: {_label(name) or 'picture'}]"


def names_by_cid(parts: Iterable[_Picture]) -> dict[str, str]:
    """Content-ID -> the name its mark carries: the part's file name, else the Content-ID's
    left-hand side (Outlook's is the file name: "image001.png@01D5...")."""
    return {
        p.content_id: p.filename or p.content_id.partition("@")[0] or p.content_id
        for p in parts if p.content_id and is_embedded(p.content_id, p.content_type)
    }


def cid_mark(cid: str, names: Mapping[str, str], alt: str = "") -> str:
    """The mark for a reference to Content-ID `cid`; one with no part is named by its alt text."""
    cid = cid.strip().strip("<>")
    return mark(names.get(cid) or alt.strip() or cid.partition("@")[0] or cid)


def normalise_marks(text: str, names: Mapping[str, str]) -> str:
    """`text` with Outlook's "[cid:...]" marks written as ours."""
    if "[cid:" not in text:
        return text
    return _OUTLOOK.sub(lambda m: cid_mark(m.group(1), names), text)


def _names(parts: Sequence[_Picture]) -> dict[str, list[int]]:
    """What a mark may call each picture -> its indices: the file name, or the Content-ID or
    its left-hand side when the part has no file name (and for marks written without one)."""
    keys: dict[str, list[int]] = {}
    for i, p in enumerate(parts):
        if is_embedded(p.content_id, p.content_type):
            cid = p.content_id or ""
            for key in dict.fromkeys(_label(k) for k in (p.filename, cid, cid.partition("@")[0]) if k):
                keys.setdefault(key, []).append(i)
    return keys


def placed(text: str, parts: Sequence[_Picture]) -> list[tuple[int, int, int]]:
    """(start, end, index into `parts`) of every mark in `text`, outside quoted lines, that
    names one of the message's pictures.

    Gmail calls every pasted picture "image.png", so the n-th mark of a name takes the n-th
    picture of that name (pictures are laid out in the order of their parts); more marks
    than pictures start over, as a logo repeated in one text does.
    """
    return _placed(text, _names(parts)) if "[image: " in text else []


def _placed(text: str, keys: dict[str, list[int]]) -> list[tuple[int, int, int]]:
    quoted = [m.span() for m in _QUOTED_LINE.finditer(text)] if ">" in text else []
    seen: dict[str, int] = {}
    found: list[tuple[int, int, int]] = []
    for m in RE_MARK.finditer(text):
        name = m.group(1)
        hits = keys.get(name)
        if not hits or any(a <= m.start() < b for a, b in quoted):
            continue
        n = seen.get(name, 0)
        seen[name] = n + 1
        found.append((m.start(), m.end(), hits[n % len(hits)]))
    return found


#: What a part of a message is to its reader (roles()).
ATTACHED, PASTED, LAYOUT = "attached", "pasted", "layout"


def roles(body: str, original: str, parts: Sequence[_Picture]) -> list[str]:
    """For each part: PASTED, a picture whose mark stands in what the author wrote (`body`);
    LAYOUT, one whose mark stands elsewhere in the message's text (`original`: a logo in the
    signature, a picture of the quoted history); ATTACHED, everything else, including a
    picture with a Content-ID that nothing lays out (Gmail and Google Groups give attached
    files one)."""
    keys = _names(parts)
    named = {m.group(1) for m in RE_MARK.finditer(original)} if keys and "[image: " in original else set()
    laid = {i for name in named for i in keys.get(name, ())}
    pasted = {i for _, _, i in _placed(body, keys)} if keys and "[image: " in body else set()
    return [PASTED if i in pasted else LAYOUT if i in laid else ATTACHED for i in range(len(parts))]


def shared_files(body: str, original: str, parts: Sequence[_P]) -> list[_P]:
    """The parts the author shared, in order: the files they attached and the pictures they
    pasted into what they wrote. Search finds these by has:attachment and by their names."""
    return [p for p, role in zip(parts, roles(body, original, parts)) if role != LAYOUT]
