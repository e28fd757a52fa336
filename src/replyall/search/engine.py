"""Run a parsed query on SQLite (FTS5, bm25) or PostgreSQL (tsvector, ts_rank); group hits by thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session, load_only

from replyall.cleaning.quotes import split_answers
from replyall.db.models import Archive, Message, Thread, UTCDateTime
from replyall.search.compile import FTS5_WEIGHTS, PG_RANK_WEIGHTS, split_negatives, to_fts5, to_pg
from replyall.search.indexer import PG_CONFIG
from replyall.search.query import Filter, Or, Query, QueryError, Term, parse
from replyall.search.results import MessageHit, SearchPage, ThreadHit
from replyall.search.text import Highlight, Snippet, make_snippet

Sort = Literal["relevance", "date"]
#: (archive id, text) -> text as this reader may see it (e.g. addresses obfuscated).
DisplayText = Callable[[int, str], str]
#: Messages shown under each thread result, best first.
MESSAGES_PER_THREAD = 3
MAX_PER_PAGE = 100
MAX_PAGE = 500
#: Kinds found only on request: machine-written mail is noise when looking for an answer.
AUTOMATED_KINDS = ("auto_reply", "bounce", "receipt", "recall")


def _visible(include_automated: bool) -> str:
    sql = "m.is_ghost = :f AND m.hidden = :f AND m.redacted = :f AND m.duplicate_of_id IS NULL"
    return sql if include_automated else sql + " AND m.kind NOT IN :automated"


def _filters(filters: tuple[Filter, ...], params: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for i, flt in enumerate(filters):
        name = f"flt{i}"
        if flt.kind in ("before", "after", "on"):
            assert isinstance(flt.value, date)
            start = datetime.combine(flt.value, time(0), tzinfo=UTC)
            if flt.kind == "before":
                sql = f"m.date < :{name}"
            elif flt.kind == "after":
                sql = f"m.date >= :{name}"
            else:
                sql = f"m.date >= :{name} AND m.date < :{name}_end"
                params[f"{name}_end"] = start + timedelta(days=1)
            params[name] = start
        elif flt.kind == "has":
            sql = "m.has_attachments = :t"
        elif flt.kind == "in":
            sql = f"m.archive_id IN (SELECT id FROM archives WHERE slug = :{name})"
            params[name] = flt.value
        else:  # thread: its key, or the key of a thread since merged into it
            sql = (
                f"m.thread_id IN (SELECT id FROM threads WHERE key = :{name} "
                f"UNION SELECT thread_id FROM thread_aliases WHERE key = :{name})"
            )
            params[name] = flt.value
        out.append(f"NOT ({sql})" if flt.negated else f"({sql})")
    return out


#: Ranking reads the best this many messages first and widens (x8) only when the page
#: asks for more threads than they hold: a word in every other message then costs a
#: top-k sort inside the index instead of a join with every matching row.
CANDIDATES = 1_000
GROWTH = 8
#: At least this many candidate messages per thread the page needs (deep pages read more).
CANDIDATES_PER_THREAD = 8
#: A query matching more messages than this ranks only its newest RANK_WINDOW matches.
#: bm25 (ts_rank on PostgreSQL) costs a lookup per match, so without a bound the
#: commonest words ("signed", in a quarter of a kernel list) grow linearly with the
#: archive; a word that common barely moves bm25 anyway, and recency breaks the ties.
#: The total is then an estimate ("about N"), like the candidates' one below.
RANK_WINDOW = 10_000


@dataclass
class _Plan:
    """The SQL pieces of one query: candidates (best first, LIMIT :k), hits, and a count of all matches."""

    cand: str | None  # None: no text to rank by; hits then take the newest messages
    hits: str
    count: str
    # The id of the match RANK_WINDOW places below the newest, counting only matches the
    # filters let through (archive, visibility, dates...): the window is the newest
    # matches this reader could be shown, never another archive's.
    newest: str | None = None


def _plan(session: Session, parsed: Query, where: list[str], params: dict[str, Any], sort: Sort) -> _Plan:
    dialect = session.get_bind().dialect.name
    node = parsed.text
    positive, negatives = split_negatives(node) if node is not None else (None, [])
    if negatives:
        # Only exclusions: every visible message except those that match any of them.
        excluded = Or(tuple(negatives)) if len(negatives) > 1 else negatives[0]
        if dialect == "sqlite":
            where.append("m.id NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :nomatch)")
            params["nomatch"] = to_fts5(excluded)
        else:
            cond = to_pg(excluded, [], prefix="nq")
            where.append(f"m.id NOT IN (SELECT f.message_id FROM search_fts f WHERE {cond.sql})")
            params.update(cond.params)
    filters = " AND ".join(where)
    if positive is None:
        return _Plan(
            None,
            f"SELECT m.id, m.thread_id, m.date, 0.0 AS score FROM messages m WHERE {filters} "
            "ORDER BY m.date DESC, m.id DESC LIMIT :k",
            f"SELECT count(*) FROM messages m WHERE {filters}",
        )
    if dialect == "sqlite":
        params["match"] = to_fts5(positive)
        weights = ", ".join(str(w) for w in FTS5_WEIGHTS)
        # A bounded sort over bm25() (measured faster than FTS5's `rank MATCH` top-k path).
        order = "score DESC" if sort == "relevance" else "id DESC"
        params["floor"] = -1  # raised by run_query for queries past RANK_WINDOW
        matches = "FROM search_fts WHERE search_fts MATCH :match"
        count = f"SELECT count(*) {matches}"
        if parsed.filters:
            # Operators (dates, has:, in:, thread:) are checked before ranking, through the
            # covering index: ranked first and filtered after, a selective operator left
            # few candidates standing and the search read ever more of them.
            matches = (
                "FROM search_fts CROSS JOIN messages m INDEXED BY ix_messages_search ON m.id = search_fts.rowid "
                f"WHERE search_fts MATCH :match AND {filters}"
            )
            count = f"SELECT count(*) {matches}"
        cand = (
            f"SELECT search_fts.rowid AS id, -bm25(search_fts, {weights}) AS score {matches} "
            f"AND search_fts.rowid > :floor ORDER BY {order} LIMIT :k"
        )
        return _Plan(
            cand,
            # CROSS JOIN keeps the order (candidates first, then one lookup each); the
            # covering index answers the lookup without reading the message row itself.
            "SELECT m.id, m.thread_id, m.date, c.score FROM cand c CROSS JOIN messages m INDEXED BY ix_messages_search "
            f"ON m.id = c.id WHERE {filters}",
            count,
            # Newest first through the doclists and the covering index: no bm25, no rows.
            "SELECT f.rowid FROM search_fts f CROSS JOIN messages m INDEXED BY ix_messages_search ON m.id = f.rowid "
            f"WHERE f.search_fts MATCH :match AND {filters} ORDER BY f.rowid DESC LIMIT 1 OFFSET :n",
        )
    to_fts5(positive)  # same validation as SQLite: one language, one set of errors
    cond = to_pg(positive, parsed.terms())
    params.update(cond.params)
    rank = []
    for vector, query, label in zip(("doc", "quote"), cond.rank, ("rank_doc", "rank_quote"), strict=True):
        if query:
            params[label] = query
            weights = f"'{PG_RANK_WEIGHTS}', " if vector == "doc" else ""
            # Normalisation 1 divides by 1 + log(length), as bm25 damps long documents.
            rank.append(f"ts_rank({weights}f.{vector}, to_tsquery('{PG_CONFIG}', :{label}), 1)")
    score = " + ".join(rank) or "0.0"
    order = "score DESC" if sort == "relevance" else "f.message_id DESC"
    params["floor"] = -1
    return _Plan(
        f"SELECT f.message_id AS id, ({score}) AS score FROM search_fts f WHERE {cond.sql} "
        f"AND f.message_id > :floor ORDER BY {order} LIMIT :k",
        f"SELECT m.id, m.thread_id, m.date, c.score FROM cand c JOIN messages m ON m.id = c.id WHERE {filters}",
        f"SELECT count(*) FROM search_fts f WHERE {cond.sql}",
        # Ids only: ts_rank, which reads every matching tsvector, is what the window bounds.
        f"SELECT f.message_id FROM search_fts f JOIN messages m ON m.id = f.message_id WHERE {cond.sql} AND {filters} "
        "ORDER BY f.message_id DESC LIMIT 1 OFFSET :n",
    )


def _statement(sql: str, params: dict[str, Any]):
    return text(sql).bindparams(
        *(bindparam(k, expanding=True) for k in ("archive_ids", "automated") if k in params and f":{k}" in sql),
        *(bindparam(k, type_=UTCDateTime()) for k, v in params.items() if isinstance(v, datetime) and f":{k}" in sql),
    )


@dataclass
class _Found:
    total: int
    exact: bool
    rows: list[tuple[int, int, float, float, int]]


def run_query(
    session: Session,
    parsed: Query,
    *,
    archive_ids: list[int] | None,
    page: int,
    per_page: int,
    sort: Sort,
    include_automated: bool = False,
    exclude_thread_id: int | None = None,
) -> _Found:
    """Threads of one page: rows of (message id, thread id, message score, thread score, thread hits)."""
    params: dict[str, Any] = {"f": False, "t": True, "automated": list(AUTOMATED_KINDS)}
    where = [_visible(include_automated)]
    if archive_ids is not None:
        where.append("m.archive_id IN :archive_ids")
        params["archive_ids"] = list(archive_ids) or [-1]
    if exclude_thread_id is not None:
        where.append("m.thread_id <> :exclude_thread")
        params["exclude_thread"] = exclude_thread_id
    where.extend(_filters(parsed.filters, params))
    plan = _plan(session, parsed, where, params, sort)
    order = "t_score DESC, t_date DESC NULLS LAST" if sort == "relevance" else "t_date DESC NULLS LAST"
    head = f"WITH cand AS MATERIALIZED ({plan.cand}),\n" if plan.cand else "WITH "
    base = "cand" if plan.cand else "hits"
    sql = f"""
{head}hits AS MATERIALIZED ({plan.hits}),
ranked AS MATERIALIZED (
  SELECT id, thread_id, score,
    row_number() OVER (PARTITION BY thread_id ORDER BY score DESC, date DESC NULLS LAST, id DESC) AS rn,
    max(score) OVER (PARTITION BY thread_id) AS t_score,
    max(date) OVER (PARTITION BY thread_id) AS t_date,
    count(*) OVER (PARTITION BY thread_id) AS t_hits
  FROM hits
),
page AS (
  SELECT thread_id, t_score, t_date, t_hits, count(*) OVER () AS total
  FROM ranked WHERE rn = 1
  ORDER BY {order}, thread_id DESC LIMIT :limit OFFSET :offset
)
SELECT r.id, r.thread_id, r.score, p.t_score, p.t_hits, p.total, (SELECT count(*) FROM {base}) AS n_cand
FROM ranked r JOIN page p ON p.thread_id = r.thread_id
WHERE r.rn <= :per_thread
ORDER BY {order.replace('t_', 'p.t_')}, r.thread_id DESC, r.rn
"""
    summary = f"{head}hits AS MATERIALIZED ({plan.hits}) SELECT (SELECT count(DISTINCT thread_id) FROM hits), (SELECT count(*) FROM {base})"
    unlimited = -1 if session.get_bind().dialect.name == "sqlite" else None
    needed = page * per_page
    # sort=date with text ranks candidates by score, not date: it reads every match.
    k: int | None = max(CANDIDATES, needed * CANDIDATES_PER_THREAD) if (sort == "relevance" or plan.cand is None) else unlimited
    params.update(limit=per_page, offset=(page - 1) * per_page, per_thread=MESSAGES_PER_THREAD)
    windowed = sort == "relevance" and plan.newest is not None and _apply_window(session, plan.newest, params)
    while True:
        params["k"] = k
        rows = [tuple(r) for r in session.execute(_statement(sql, params), params)]
        if rows:
            threads, n_cand = int(rows[0][5]), int(rows[0][6])
        else:
            threads, n_cand = (int(v or 0) for v in session.execute(_statement(summary, params), params).one())
        truncated = windowed or (k not in (None, -1) and n_cand >= k)
        if not truncated or threads >= needed + 1 or (windowed and n_cand < k):
            break
        k = k * GROWTH if k < CANDIDATES * GROWTH * GROWTH else unlimited
    out = [(r[0], r[1], float(r[2] or 0), float(r[3] or 0), int(r[4])) for r in rows]
    if not truncated:
        return _Found(threads, True, out)
    # The candidates hold enough threads for this page; estimate the rest from the ratio
    # of threads to messages among them (Gmail and Discourse say "about" too).
    everything = _window_estimate(session, params) if windowed else int(
        session.execute(_statement(plan.count, params), params).scalar() or 0
    )
    estimate = round(threads * everything / max(1, n_cand))
    return _Found(max(threads, estimate), False, out)


def _apply_window(session: Session, newest: str, params: dict[str, Any]) -> bool:
    """Past RANK_WINDOW matches, rank only the newest ones: set :floor below them."""
    floor = session.execute(_statement(newest, params), {**params, "n": RANK_WINDOW}).scalar()
    if floor is None:
        return False
    params["floor"] = floor
    return True


def _window_estimate(session: Session, params: dict[str, Any]) -> int:
    """All matches, extrapolated from the window's density over the span of message ids."""
    # Two subqueries: SQLite answers a lone min() or max() from the index, not both at once.
    low, high = session.execute(text("SELECT (SELECT min(id) FROM messages), (SELECT max(id) FROM messages)")).one()
    if low is None or high <= params["floor"]:
        return RANK_WINDOW
    return round(RANK_WINDOW * (high - low + 1) / (high - params["floor"]))


def highlight_for(parsed: Query) -> tuple[Highlight, Highlight, Highlight]:
    """What to mark in body snippets, quote snippets and subjects.

    A word limited to a field is marked only in that field: "from:jan" picks the
    sender, and marking every "jan" of the bodies would point at the wrong thing.
    """

    every = parsed.terms()

    def build(field: str | None) -> Highlight:
        terms = [t for t in every if t.field is None or t.field == field]
        exact = {t for term in terms for t in (term.tokens[:-1] if term.prefix else term.tokens)}
        return Highlight(frozenset(exact), tuple(term.tokens[-1] for term in terms if term.prefix))

    return build(None), build("quote"), build("subject")


def search_parsed(
    session: Session,
    parsed: Query,
    source: str,
    *,
    archive_ids: list[int] | None,
    page: int,
    per_page: int,
    sort: Sort,
    include_automated: bool = False,
    exclude_thread_id: int | None = None,
    snippets: bool = True,
    display_text: DisplayText | None = None,
) -> SearchPage:
    if sort not in ("relevance", "date"):
        raise QueryError("sort must be 'relevance' or 'date'")
    page = max(1, min(int(page), MAX_PAGE))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    found = run_query(
        session, parsed, archive_ids=archive_ids, page=page, per_page=per_page, sort=sort,
        include_automated=include_automated, exclude_thread_id=exclude_thread_id,
    )
    total, rows = found.total, found.rows
    if not rows:
        return SearchPage(source, page, per_page, sort, total, [], found.exact)
    columns = (
        Message.id, Message.archive_id, Message.message_id, Message.message_id_hash, Message.subject,
        Message.from_name, Message.from_address, Message.date, Message.body, Message.quote,
    )
    messages = {
        m.id: m
        for m in session.scalars(
            select(Message).options(load_only(*columns)).where(Message.id.in_([r[0] for r in rows]))
        )
    }
    thread_ids = list(dict.fromkeys(r[1] for r in rows))
    threads = {
        t.id: (t, slug)
        for t, slug in session.execute(
            select(Thread, Archive.slug).join(Archive, Archive.id == Thread.archive_id).where(Thread.id.in_(thread_ids))
        )
    }
    body_hl, quote_hl, subject_hl = highlight_for(parsed)
    grouped: dict[int, list[MessageHit]] = {tid: [] for tid in thread_ids}
    info: dict[int, tuple[float, int]] = {}
    for mid, tid, score, t_score, t_hits in rows:
        msg = messages[mid]
        info[tid] = (t_score, t_hits)
        shown = (lambda value, a=msg.archive_id: display_text(a, value)) if display_text else (lambda value: value)
        grouped[tid].append(_message_hit(msg, score, body_hl, quote_hl, snippets, shown))
    results = []
    for tid in thread_ids:
        thread, slug = threads[tid]
        hits = grouped[tid]
        t_score, t_hits = info[tid]
        subject = thread.subject or hits[0].subject
        results.append(
            ThreadHit(
                thread_id=tid, thread_key=thread.key, archive_id=thread.archive_id, archive_slug=slug,
                subject=subject, subject_snippet=make_snippet(subject, subject_hl, words=200),
                score=t_score, last_match_at=max((h.date for h in hits if h.date), default=None),
                message_count=thread.message_count, match_count=t_hits, messages=tuple(hits),
                last_activity_at=thread.last_activity_at,
            )
        )
    return SearchPage(source, page, per_page, sort, total, results, found.exact)


def _message_hit(
    msg: Message, score: float, body_hl: Highlight, quote_hl: Highlight, snippets: bool, shown: Callable[[str], str]
) -> MessageHit:
    snippet, source = Snippet(()), "body"
    if snippets:
        # The excerpt is cut from the text as this reader may see it, never the other way round,
        # and from the part that was searched: the lines an interleaved answer quotes are quote.
        own, answered = split_answers(msg.body or "")
        quote = "\n".join(t for t in (answered, msg.quote or "") if t)
        snippet = make_snippet(shown(own), body_hl)
        if not snippet.has_match and quote:
            quoted = make_snippet(shown(quote), quote_hl)
            if quoted.has_match and quote_hl != body_hl:
                snippet, source = quoted, "quote"
    return MessageHit(
        id=msg.id, key=msg.message_id_hash, message_id=msg.message_id, subject=msg.subject,
        from_name=msg.from_name, from_address=msg.from_address, date=msg.date, score=score,
        snippet=snippet, snippet_source=source,
    )


def search(
    session: Session,
    query: str,
    *,
    archive_ids: list[int] | None,
    page: int = 1,
    per_page: int = 20,
    sort: Sort = "relevance",
    include_automated: bool = False,
    display_text: DisplayText | None = None,
) -> SearchPage:
    """Search messages, one result per thread; raises QueryError (and nothing else for bad input).

    archive_ids: the archives to search (from readable_archive_ids()); None searches
    every archive, for internal callers only. Hidden, redacted, ghost and collapsed
    duplicate messages are never returned; auto-replies, bounces, read receipts and
    recalls only with include_automated=True. sort="relevance" orders threads by
    their best message's score (bm25 on SQLite, ts_rank on PostgreSQL; subject and
    sender weigh more than the body), ties by the newest matching message;
    sort="date" by the newest matching message. See SearchPage for the result shape.
    display_text(archive_id, text) is applied to bodies before snippets are cut (pass
    the reader's address obfuscation).
    """
    return search_parsed(
        session, parse(query), query, archive_ids=archive_ids, page=page, per_page=per_page, sort=sort,
        include_automated=include_automated, display_text=display_text,
    )
