"""Tokens and snippets: one tokenizer shared by indexing, querying and highlighting on both databases."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

# A token is a run of letters and digits, as FTS5's unicode61 tokenizer sees it
# (Unicode categories L* and N*; everything else separates). PostgreSQL's default
# parser would keep "j.smith@council.gov.uk" or "budget-2024.xlsx" as one lexeme, so
# `from:smith` or `filename:budget` could never match: we split text ourselves before
# to_tsvector() and both databases then see the same tokens.
_TOKEN = re.compile(r"[^\W_]+")
# Diacritics are combining marks once decomposed; case is folded (ß -> ss, like FTS5's
# remove_diacritics 2 plus unicode61 case folding, so "Müller", "MULLER" and "muller" meet).
_NON_ASCII_TOKEN = re.compile(r"[^\W_]*[^\x00-\x7f][^\W_]*")
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

#: PostgreSQL refuses a tsvector over 1 MB and positions stop at 16,383; a message body
#: beyond this many characters (pasted logs, base64 someone inlined) is indexed only
#: up to here. FTS5 has no such limit but we keep the two engines alike.
MAX_INDEXED_CHARS = 200_000
#: Snippets look this far into a text for a match, and stop a little after the first.
MAX_SNIPPET_SCAN = 30_000
SNIPPET_LOOKAHEAD = 600  # characters after the first match: room for a window of words


@lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """Case- and accent-insensitive form of one token."""
    if token.isascii():
        return token.lower()
    decomposed = unicodedata.normalize("NFKD", token)
    return unicodedata.normalize("NFC", _MARKS.sub("", decomposed)).casefold()


def tokens(text: str) -> list[str]:
    """The folded tokens of a text, in order."""
    if text.isascii():
        return _TOKEN.findall(text.lower())  # the common case, and ten times faster
    out: list[str] = []
    for match in _TOKEN.finditer(unicodedata.normalize("NFKC", text or "")):
        folded = fold(match.group())
        # Folding can expose separators (a ligature, a combining mark on its own).
        out.extend(_TOKEN.findall(folded) if not folded.isalnum() else [folded])
    return out


def index_text(text: str) -> str:
    """Text as the PostgreSQL index receives it: folded tokens separated by spaces."""
    return " ".join(tokens((text or "")[:MAX_INDEXED_CHARS]))


@dataclass(frozen=True)
class Snippet:
    """A short excerpt as (text, is_match) segments; renders itself escaped in Jinja.

    `str(snippet)` is the plain text; `snippet.html()` (also `__html__`, so `{{ snippet }}`
    in an autoescaped template works) is escaped text with matches wrapped in <mark>.
    """

    segments: tuple[tuple[str, bool], ...]

    def __str__(self) -> str:
        return "".join(text for text, _ in self.segments)

    def html(self) -> Markup:
        return Markup("").join(
            Markup("<mark>{}</mark>").format(text) if hit else escape(text) for text, hit in self.segments
        )

    __html__ = html

    @property
    def has_match(self) -> bool:
        return any(hit for _, hit in self.segments)


@dataclass(frozen=True)
class Highlight:
    """Folded terms to mark in snippets: exact tokens and prefixes."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def matches(self, folded: str) -> bool:
        return folded in self.exact or any(folded.startswith(p) for p in self.prefixes)

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """A regex finding the terms as whole tokens, ignoring ASCII case (a fast first look)."""
        if not self:
            return None
        alternatives = [re.escape(t) + r"(?![^\W_])" for t in sorted(self.exact, key=len, reverse=True)]
        alternatives += [re.escape(p) + r"[^\W_]*" for p in self.prefixes]
        return _pattern("|".join(alternatives))


@lru_cache(maxsize=256)
def _pattern(alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W_])(?:" + alternatives + ")", re.IGNORECASE)


def _first_match(text: str, highlight: Highlight) -> int:
    """Offset of the first token matching `highlight`, or -1."""
    pattern = highlight.pattern
    if pattern is None:
        return -1
    found = pattern.search(text, 0, MAX_SNIPPET_SCAN)
    if found is not None:
        return found.start()
    if text.isascii():
        return -1
    # The regex only knows ASCII case: fold the tokens with other letters ("Müller", "ǅ").
    for m in _NON_ASCII_TOKEN.finditer(text, 0, MAX_SNIPPET_SCAN):
        if highlight.matches(fold(m.group())):
            return m.start()
    return -1


def make_snippet(text: str, highlight: Highlight, *, words: int = 32) -> Snippet:
    """The window of about `words` tokens with the most distinct matches, matches marked.

    Done in Python rather than by FTS5's snippet() or PostgreSQL's ts_headline() so
    that both databases give the same excerpt, highlight folded forms ("Müller" for
    muller) and never hand us HTML to trust.
    """
    text = (text or "").strip()
    if not text:
        return Snippet(())
    # Only a region around the first match is tokenised: a long patch or log pasted
    # into a message must not cost more than a short one.
    anchor = _first_match(text, highlight)
    region_start = 0 if anchor < 0 else max(0, text.rfind(" ", 0, max(0, anchor - 60)) + 1)
    region_end = min(len(text), max(anchor, 0) + SNIPPET_LOOKAHEAD)
    spans: list[tuple[int, int, str]] = []
    hits: list[bool] = []
    for m in _TOKEN.finditer(text, region_start, region_end):
        spans.append((m.start(), m.end(), m.group()))
        hits.append(anchor >= 0 and highlight.matches(fold(m.group())))
    if not spans:
        return Snippet(((_squash(text[:240]), False),))
    start = _best_window(spans, hits, words) if any(hits) else 0
    end = min(len(spans), start + words)
    begin_char = 0 if start == 0 and region_start == 0 else spans[start][0]
    complete = end == len(spans) and region_end == len(text)
    end_char = len(text) if complete else spans[end - 1][1]
    segments: list[tuple[str, bool]] = []
    if begin_char > 0:
        segments.append(("… ", False))
    cursor = begin_char
    for (s, e, _), hit in zip(spans[start:end], hits[start:end], strict=True):
        if hit:
            if s > cursor:
                segments.append((_squash(text[cursor:s]), False))
            segments.append((text[s:e], True))
            cursor = e
    if end_char > cursor:
        segments.append((_squash(text[cursor:end_char]), False))
    if not complete:
        segments.append((" …", False))
    return Snippet(tuple(_merge(segments)))


def _best_window(spans: Sequence[tuple[int, int, str]], hits: Sequence[bool], words: int) -> int:
    best, best_score = 0, -1
    folded = [fold(tok) if hit else "" for (_, _, tok), hit in zip(spans, hits, strict=True)]
    for i, hit in enumerate(hits):
        if not hit:
            continue
        # Start a few words before the first match so it reads in context.
        start = max(0, i - 4)
        distinct = {f for f, h in zip(folded[start : start + words], hits[start : start + words], strict=True) if h}
        score = len(distinct) * 100 + sum(hits[start : start + words])
        if score > best_score:
            best, best_score = start, score
    return best


def _squash(text: str) -> str:
    # Snippets are one line: newlines and runs of spaces become single spaces.
    return re.sub(r"\s+", " ", text)


def _merge(segments: Iterable[tuple[str, bool]]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for text, hit in segments:
        if not text:
            continue
        if out and out[-1][1] == hit and not hit:
            out[-1] = (out[-1][0] + text, hit)
        else:
            out.append((text, hit))
    return out
