"""The query language: parse what people type into a small AST, or a QueryError saying what is wrong.

    words            all must match (in subject, sender, body or attachment names)
    "exact phrase"   the words next to each other, in order
    a OR b           either (binds tighter than the implicit AND: `x a OR b` is x AND (a OR b))
    -word, NOT word  exclude; also -"a phrase", -(a OR b), -from:someone
    budg*            prefix (at least two characters before the star)
    ( ... )          grouping
    from: to: cc: subject: filename: quoted:   restrict a word or "phrase" to one field
    before:/after:/on:YYYY-MM-DD   date (UTC); before: excludes the day, after: includes it
    has:attachment   in:ARCHIVE-SLUG   thread:THREAD-KEY

Anything else is searched as text, so `re:` or `http://x` or a stray `"` never fails.
User text never reaches SQL: the compilers build FTS5 / tsquery strings only from
folded tokens (letters and digits) and pass them as bound parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from replyall.search.text import tokens

MAX_QUERY_CHARS = 1_000
MAX_TERMS = 32
MAX_DEPTH = 8
MIN_PREFIX = 2

#: Field operators and the part of the message each searches.
TEXT_FIELDS = {"from": "sender", "to": "to", "cc": "cc", "subject": "subject", "filename": "filename", "quoted": "quote"}
FILTER_FIELDS = ("before", "after", "on", "has", "in", "thread")


class QueryError(ValueError):
    """The query cannot be run; str(error) is a message fit to show the person who typed it."""


@dataclass(frozen=True)
class Term:
    """Folded tokens that must appear together (one token, or a phrase), in `field` or the default fields."""

    tokens: tuple[str, ...]
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Term | And | Or | Not


@dataclass(frozen=True)
class Filter:
    """A condition on columns, not text: before/after/on (a date), has, in (slug), thread (key)."""

    kind: str
    value: str | date | None
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed query: the text expression (None if only filters) and the filters ANDed with it."""

    text: Node | None
    filters: tuple[Filter, ...] = field(default=())

    def terms(self) -> list[Term]:
        """Every positive (not excluded) term, for highlighting and ranking."""
        out: list[Term] = []

        def walk(node: Node | None, negated: bool) -> None:
            if isinstance(node, Term) and not negated:
                out.append(node)
            elif isinstance(node, (And, Or)):
                for item in node.items:
                    walk(item, negated)
            elif isinstance(node, Not):
                walk(node.item, not negated)

        walk(self.text, False)
        return out


# --- lexer ----------------------------------------------------------------------

_FIELD_WORD = re.compile(r"^([A-Za-z]+):(.*)$", re.S)


@dataclass
class _Tok:
    kind: str  # WORD PHRASE LPAR RPAR OR NOT
    text: str = ""
    field: str | None = None
    prefix: bool = False


def _lex(source: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(_Tok("LPAR" if ch == "(" else "RPAR"))
            i += 1
        elif ch == "-" and i + 1 < n and not source[i + 1].isspace() and (not out or _clause_start(source, i)):
            out.append(_Tok("NOT"))
            i += 1
        elif ch == '"':
            i, text, prefix = _phrase(source, i + 1)
            out.append(_Tok("PHRASE", text, prefix=prefix))
        else:
            j = i
            while j < n and not source[j].isspace() and source[j] not in '()"':
                j += 1
            word = source[i:j]
            i = j
            m = _FIELD_WORD.match(word)
            name = m.group(1).lower() if m else ""
            if m and (name in TEXT_FIELDS or name in FILTER_FIELDS):
                if m.group(2) == "" and i < n and source[i] == '"':
                    i, text, prefix = _phrase(source, i + 1)
                    out.append(_Tok("PHRASE", text, field=name, prefix=prefix))
                else:
                    out.append(_Tok("WORD", m.group(2), field=name))
            elif word == "OR" or word == "|":
                out.append(_Tok("OR"))
            elif word == "NOT":
                out.append(_Tok("NOT"))
            elif word == "AND" or word == "&":
                continue  # AND is what juxtaposition already means
            else:
                out.append(_Tok("WORD", word))
    return out


def _clause_start(source: str, i: int) -> bool:
    # "-" negates only at the start of a word: "e-mail" stays one word.
    return i == 0 or source[i - 1].isspace() or source[i - 1] == "("


def _phrase(source: str, i: int) -> tuple[int, str, bool]:
    # An unbalanced quote runs to the end of the query, as Google and Gmail treat it.
    end = source.find('"', i)
    if end < 0:
        return len(source), source[i:], False
    j = end + 1
    prefix = j < len(source) and source[j] == "*"
    return j + (1 if prefix else 0), source[i:end], prefix


# --- parser ---------------------------------------------------------------------


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks, self.pos, self.terms = toks, 0, 0

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def sequence(self, depth: int) -> list[Node | Filter]:
        items: list[Node | Filter] = []
        while (tok := self.peek()) is not None:
            if tok.kind == "RPAR":
                if depth == 0:
                    self.pos += 1  # a stray ")" is ignored, like Gmail does
                    continue
                break
            if tok.kind == "OR":
                self.pos += 1  # "OR" with nothing on its left: ignore it
                continue
            item = self.disjunction(depth)
            if item is not None:
                items.append(item)
        return items

    def disjunction(self, depth: int) -> Node | Filter | None:
        first = self.unary(depth)
        alternatives = [first] if first is not None else []
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.pos += 1
            nxt = self.unary(depth)
            if nxt is not None:
                alternatives.append(nxt)
        if len(alternatives) > 1:
            if any(isinstance(a, Filter) for a in alternatives):
                raise QueryError("before:, after:, on:, has:, in: and thread: cannot be combined with OR")
            return Or(tuple(alternatives))  # type: ignore[arg-type]
        return alternatives[0] if alternatives else None

    def unary(self, depth: int) -> Node | Filter | None:
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind == "NOT":
            self.pos += 1
            item = self.unary(depth)
            if isinstance(item, Filter):
                return Filter(item.kind, item.value, not item.negated)
            return Not(item) if item is not None else None
        return self.atom(depth)

    def atom(self, depth: int) -> Node | Filter | None:
        tok = self.toks[self.pos]
        self.pos += 1
        if tok.kind == "LPAR":
            if depth >= MAX_DEPTH:
                raise QueryError(f"Too many nested brackets (at most {MAX_DEPTH})")
            items = self.sequence(depth + 1)
            if (close := self.peek()) is not None and close.kind == "RPAR":
                self.pos += 1  # a missing ")" is closed at the end of the query
            return _conjunction(items)
        if tok.kind in ("RPAR", "OR"):
            return None
        if tok.field in FILTER_FIELDS:
            return _filter(tok.field, tok.text)
        return self.term(tok)

    def term(self, tok: _Tok) -> Term | None:
        text = tok.text
        prefix = tok.prefix
        if tok.kind == "WORD" and text.endswith("*"):
            text, prefix = text.rstrip("*"), True
        toks = tuple(tokens(text))
        if not toks:
            return None  # only punctuation: nothing to search for
        if prefix and len(toks[-1]) < MIN_PREFIX:
            raise QueryError(f"A prefix search needs at least {MIN_PREFIX} letters before the *")
        self.terms += 1
        if self.terms > MAX_TERMS or len(toks) > MAX_TERMS:
            raise QueryError(f"Too many words (at most {MAX_TERMS}); try fewer, more distinctive ones")
        return Term(toks, TEXT_FIELDS[tok.field] if tok.field else None, prefix)


def _conjunction(items: list[Node | Filter]) -> Node | Filter | None:
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    if any(isinstance(i, Filter) for i in items):
        # Filters inside brackets are fine only if the brackets are ANDed in: keep them
        # as a group the top level can flatten; elsewhere the parser rejects them.
        return _Group(tuple(items))  # type: ignore[return-value]
    return And(tuple(items))  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Group:
    items: tuple[Node | Filter, ...]


def _filter(kind: str, value: str) -> Filter:
    value = value.strip()
    if kind in ("before", "after", "on"):
        m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", value)
        try:
            if m is None:
                raise ValueError
            return Filter(kind, date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            raise QueryError(f"{kind}: needs a date written YYYY-MM-DD, for example {kind}:2024-03-31") from None
    if kind == "has":
        if value.lower() in ("attachment", "attachments", "file", "files"):
            return Filter("has", "attachment")
        raise QueryError("has: knows only has:attachment")
    if not value:
        raise QueryError(f"{kind}: needs a value, for example {kind}:{'comms-network' if kind == 'in' else '1f3a9c0d2b4e5a67'}")
    if len(value) > 64:
        raise QueryError(f"{kind}: value is too long")
    return Filter(kind, value.lower())


def parse(source: str) -> Query:
    """Parse a query string; raises QueryError with a readable message when it cannot be run."""
    if source is None or not source.strip():
        raise QueryError("Type something to search for")
    if len(source) > MAX_QUERY_CHARS:
        raise QueryError(f"This search is {len(source):,} characters long; the limit is {MAX_QUERY_CHARS:,}")
    items = _Parser(_lex(source)).sequence(0)
    nodes: list[Node] = []
    filters: list[Filter] = []
    _flatten(items, nodes, filters)
    if not nodes and not filters:
        raise QueryError("Nothing to search for: add a word with letters or digits")
    text: Node | None = None
    if len(nodes) == 1:
        text = nodes[0]
    elif nodes:
        text = And(tuple(nodes))
    return Query(text, tuple(filters))


def _flatten(items: list[Node | Filter] | tuple[Node | Filter, ...], nodes: list[Node], filters: list[Filter]) -> None:
    for item in items:
        if isinstance(item, Filter):
            filters.append(item)
        elif isinstance(item, _Group):
            _flatten(item.items, nodes, filters)
        elif isinstance(item, Not) and isinstance(item.item, _Group):
            raise QueryError("before:, after:, on:, has:, in: and thread: cannot be excluded as part of a group")
        else:
            _check_no_groups(item)
            nodes.append(item)


def _check_no_groups(node: Node) -> None:
    if isinstance(node, _Group):
        raise QueryError("before:, after:, on:, has:, in: and thread: cannot be combined with OR")
    if isinstance(node, (And, Or)):
        for item in node.items:
            _check_no_groups(item)  # type: ignore[arg-type]
    elif isinstance(node, Not):
        _check_no_groups(node.item)
