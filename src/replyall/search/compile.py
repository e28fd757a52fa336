"""Compile a query AST to an FTS5 MATCH string (SQLite) or to tsquery conditions (PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field

from replyall.search.query import And, Node, Not, Or, QueryError, Term

# --- SQLite FTS5 ------------------------------------------------------------------

#: FTS5 columns of search_fts, in table order (the migration creates them so).
FTS5_COLUMNS = ("subject", "sender", "to_addr", "cc_addr", "body", "quote", "filenames")
#: bm25() weights in column order: a word in the subject counts 8 times one in the body,
#: the sender 4 times ("what did Jane say about X" finds Jane's answers first).
FTS5_WEIGHTS = (8.0, 4.0, 1.0, 1.0, 1.0, 1.0, 2.0)
_FTS5_FIELD = {
    None: "{subject sender body filenames}",
    "sender": "{sender}",
    "to": "{to_addr}",
    "cc": "{cc_addr}",
    "subject": "{subject}",
    "filename": "{filenames}",
    "quote": "{quote}",
}


def _fts5_string(tokens: tuple[str, ...]) -> str:
    # Tokens hold only letters and digits, but quote them as FTS5 strings anyway
    # ("" escapes a quote): no user character is ever read as FTS5 syntax.
    return '"' + " ".join(tokens).replace('"', '""') + '"'


class NeedsPositive(QueryError):
    """An exclusion with nothing to exclude from (`-a` alone or `x OR -a`)."""


def to_fts5(node: Node) -> str:
    """The MATCH expression; raises NeedsPositive for an expression of exclusions only."""
    if isinstance(node, Term):
        return f"{_FTS5_FIELD[node.field]} : {_fts5_string(node.tokens)}{' *' if node.prefix else ''}"
    if isinstance(node, Or):
        return "(" + " OR ".join(to_fts5(item) for item in node.items) + ")"
    if isinstance(node, Not):
        raise NeedsPositive("An exclusion (-word) needs a word to search for beside it, as in: budget -draft")
    positives = [to_fts5(item) for item in node.items if not isinstance(item, Not)]
    negatives = [to_fts5(item.item) for item in node.items if isinstance(item, Not)]
    if not positives:
        raise NeedsPositive("An exclusion (-word) needs a word to search for beside it, as in: budget -draft")
    # FTS5's NOT is binary ("a NOT b"): positives first, each exclusion after.
    return "(" + " AND ".join(positives) + ")" + "".join(f" NOT {n}" for n in negatives)


def split_negatives(node: Node) -> tuple[Node | None, list[Node]]:
    """Top-level exclusions apart from the rest, for queries that are all exclusions."""
    items = node.items if isinstance(node, And) else (node,)
    pos = [i for i in items if not isinstance(i, Not)]
    neg = [i.item for i in items if isinstance(i, Not)]
    if not pos:
        return None, neg
    return node, []


# --- PostgreSQL tsquery -----------------------------------------------------------

#: Which tsvector column of search_fts each field lives in, and its weight label there.
#: doc = subject (A) || sender (B) || attachment names (C) || body (D); rcpt = to (A) || cc (B).
_PG_FIELD = {
    None: ("doc", ""),
    "subject": ("doc", "A"),
    "sender": ("doc", "B"),
    "filename": ("doc", "C"),
    "to": ("rcpt", "A"),
    "cc": ("rcpt", "B"),
    "quote": ("quote", ""),
}
#: ts_rank weights {D, C, B, A}: body 0.1, attachment names 0.2, sender 0.4, subject 1.0,
#: the same proportions as the FTS5 bm25 weights above.
PG_RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"


def _lexeme(token: str, weight: str, prefix: bool) -> str:
    escaped = token.replace("\\", "\\\\").replace("'", "''")
    suffix = ("*" if prefix else "") + weight
    return f"'{escaped}'" + (f":{suffix}" if suffix else "")


def _tsquery(term: Term) -> tuple[str, str]:
    vector, weight = _PG_FIELD[term.field]
    last = len(term.tokens) - 1
    parts = [_lexeme(t, weight, term.prefix and i == last) for i, t in enumerate(term.tokens)]
    return vector, "(" + " <-> ".join(parts) + ")"


@dataclass
class PgCondition:
    """SQL text over alias `f` (search_fts) with its bound parameters, plus the ranking tsquery."""

    sql: str
    params: dict[str, str] = field(default_factory=dict)
    rank: list[str] = field(default_factory=list)


class _PgCompiler:
    def __init__(self, prefix: str) -> None:
        self.prefix, self.params, self.n = prefix, {}, 0

    def bind(self, value: str) -> str:
        self.n += 1
        name = f"{self.prefix}{self.n}"
        self.params[name] = value
        return f"to_tsquery('simple', :{name})"

    def node(self, node: Node) -> tuple[str, str] | str:
        """("vector", tsquery text) while one vector suffices, else SQL text."""
        if isinstance(node, Term):
            return _tsquery(node)
        if isinstance(node, Not):
            inner = self.node(node.item)
            if isinstance(inner, tuple):
                return inner[0], f"!{inner[1]}"
            return f"NOT ({inner})"
        parts = [self.node(item) for item in node.items]
        op, sql_op = (" & ", " AND ") if isinstance(node, And) else (" | ", " OR ")
        vectors = {p[0] for p in parts if isinstance(p, tuple)}
        if all(isinstance(p, tuple) for p in parts) and len(vectors) == 1:
            return vectors.pop(), "(" + op.join(p[1] for p in parts) + ")"  # type: ignore[index]
        return "(" + sql_op.join(self.sql(p) for p in parts) + ")"

    def sql(self, part: tuple[str, str] | str) -> str:
        if isinstance(part, str):
            return part
        return f"f.{part[0]} @@ {self.bind(part[1])}"


def to_pg(node: Node, terms: list[Term], prefix: str = "q") -> PgCondition:
    """A WHERE condition for `node` and the tsqueries to rank by (doc and quote vectors)."""
    compiler = _PgCompiler(prefix)
    where = compiler.sql(compiler.node(node))
    rank: list[str] = []
    for vector in ("doc", "quote"):
        texts = [_tsquery(t)[1] for t in terms if _PG_FIELD[t.field][0] == vector]
        rank.append(" | ".join(texts))
    return PgCondition(where, compiler.params, rank)
