"""Message text as HTML: links made clickable, quoted lines set apart, everything else escaped.

Mail is plain text with conventions readers know: a URL is a link, and lines starting
with ">" are someone else's words (an answer written between quoted lines keeps them in
the body). Mature archives show both; here every piece of the text is escaped first and
only a few kinds of markup are added around it, so nothing the sender wrote can become
markup of its own: links, quote blocks, a fixed-width block for each diff (a patch on a
development list), and a picture pasted into the text, shown where its mark ("[image:
name]", replyall.mail.pictures) stands when the caller found that the mark names one of
the message's pictures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from markupsafe import Markup, escape

from replyall.mail.pictures import RE_MARK
from replyall.web.patches import patch_spans

__all__ = ["render"]

# http(s) and www. only: no javascript:, data: or other schemes can become a link.
# Literal prefixes, no re.I or \b: a thread page runs this over every message text.
_URL = re.compile(r"(?:https?://|HTTPS?://|www\.|WWW\.)[^\s<>\"'`{}|\\^\[\]]+")
_TRAILING = ".,;:!?*'\"’”"
_PAIRS = {")": "(", "]": "["}
_QUOTED_RUN = re.compile(r"^(?:[ \t]*>[^\n]*(?:\n|$))+", re.M)
# A mark first: its "[" comes before anything URL-like in the name, and a URL cannot hold "[".
_URL_OR_MARK = re.compile(f"(?P<mark>{RE_MARK.pattern})|{_URL.pattern}")

#: Where a picture goes: the offset of its mark in the text -> (URL of the picture, its name).
Pictures = Mapping[int, tuple[str, str]]


def _trim(url: str) -> str:
    """The URL without the sentence punctuation or the closing bracket typed after it."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]
        else:
            break
    return url


def _picture(url: str, name: str, shown: Callable[[str], str]) -> str:
    label = escape(f"Picture {shown(name)} (download)")
    return f'<a class="picture" href="{escape(url)}"><img src="{escape(url)}" alt="{label}" loading="lazy"></a>'


def _links(text: str, shown: Callable[[str], str], pictures: Pictures | None = None, base: int = 0) -> str:
    """Escaped `text` with its URLs as links; `shown` hides addresses where the archive must.
    `pictures` are keyed by offsets in the whole text, of which `text` starts at `base`."""
    out: list[str] = []
    pos = 0
    for found in (_URL_OR_MARK if pictures else _URL).finditer(text):
        if pictures and found.group("mark"):
            picture = pictures.get(base + found.start())
            if picture is not None:
                out.append(escape(shown(text[pos:found.start()])))
                out.append(_picture(*picture, shown))
                pos = found.end()
            continue
        url = _trim(found.group())
        start, end = found.start(), found.start() + len(url)
        bare_www = "://" not in url and url.count(".") < 2  # "www.example" alone
        in_word = start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._")  # "xhttps://", "a.www.b"
        if bare_www or in_word:
            continue
        out.append(escape(shown(text[pos:start])))
        visible = shown(url)
        if visible != url:
            # An address inside the URL (a message-id link): the archive hides it, and a
            # link to the shortened URL would go somewhere else; plain text, as before.
            out.append(escape(visible))
        else:
            href = url if "://" in url else "https://" + url
            out.append(f'<a href="{escape(href)}" rel="nofollow ugc">{escape(url)}</a>')
        pos = end
    out.append(escape(shown(text[pos:])))
    return "".join(out)


#: A quoted run longer than this shows its first KEEP lines and folds the rest away, as
#: HyperKitty does: an answer often quotes a whole patch or message to reply to one line.
FOLD_AFTER, KEEP = 10, 4


def _quote_block(run: str, shown: Callable[[str], str]) -> str:
    lines = run.split("\n")
    if len(lines) <= FOLD_AFTER:
        return f'<blockquote class="quoted">{_links(run, shown)}</blockquote>'
    head, rest = "\n".join(lines[:KEEP]), "\n".join(lines[KEEP:])
    return (f'<blockquote class="quoted">{_links(head, shown)}<details class="more-quote">'
            f"<summary>Show {len(lines) - KEEP} more quoted lines</summary>{_links(rest, shown)}</details></blockquote>")


def _patch_block(patch: str, shown: Callable[[str], str]) -> str:
    return f'<pre class="patch">{_links(patch, shown)}</pre>'


def render(text: str, shown: Callable[[str], str] = lambda s: s, *, quotes: bool = True,
           pictures: Pictures | None = None) -> Markup:
    """`text` as safe HTML for a pre-wrapped block.

    With `quotes`, each run of lines beginning with ">" becomes a blockquote, its tail
    folded when it is long. Each diff (replyall.web.patches) becomes a fixed-width block.
    The newline that ends a block's last line is left out, since the block itself ends the
    line; a blank line above or below a block shows as the author left it. `pictures`
    says which marks outside blocks show their picture (replyall.mail.pictures.placed
    finds them).
    """
    blocks = [(a, b, _patch_block) for a, b in patch_spans(text)]
    if quotes and ">" in text:
        blocks += [(*run.span(), _quote_block) for run in _QUOTED_RUN.finditer(text)]
    if not blocks:
        return Markup(_links(text, shown, pictures))
    out: list[str] = []
    pos = 0
    for start, end, block in sorted(blocks, key=lambda b: b[0]):
        if start < pos:  # no diff line starts with ">", but never draw a line twice
            continue
        if start > pos:
            # The text up to the block keeps its last newline, which a browser drops before a
            # block: a blank line written above a block shows, as one written below it does.
            out.append(_links(text[pos:start], shown, pictures, pos))
        out.append(block(text[start:end].rstrip("\n"), shown))
        pos = end
    if pos < len(text):
        out.append(_links(text[pos:], shown, pictures, pos))
    return Markup("".join(out))
