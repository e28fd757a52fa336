"""similar_threads(): the conversations that best match a thread's key terms (tf-idf picked, engine ranked)."""

from __future__ import annotations

import math
from collections import Counter

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from replyall.cleaning.quotes import answers_only
from replyall.db.models import Message
from replyall.search.compile import to_fts5, to_pg
from replyall.search.engine import AUTOMATED_KINDS, ThreadHit, search_parsed
from replyall.search.query import Or, Query, Term
from replyall.search.text import tokens

KEY_TERMS = 8
CANDIDATES = 24
#: Document frequencies are counted up to here: enough to tell rare from common words
#: without counting every message that says "meeting".
DF_CAP = 2_000
MESSAGES_READ = 50

# Function words and mail furniture in the languages the lists mostly use; they say
# nothing about what a conversation is about.
STOP = frozenset(
    """
    the and for are but not you all any can had her was one our out has his how its may new now old see two
    who did get let put say she too use that with have this will your from they been were said each which
    their there what about would make like into than them then these some could other more very when just
    also only over such after most made well back much before here through where should those while being
    does doing done because want wants need needs know think thanks thank regards best kind dear hello
    please yes sent wrote write writes email mail message reply forward forwarded original subject date
    cheers sorry today tomorrow yesterday week month year monday tuesday wednesday thursday friday
    www http https com org net gov html re fw fwd aw sv wg tr der die das und ist nicht les des est une pour
    """.split()
)


def key_terms(session: Session, thread_id: int, limit: int = KEY_TERMS) -> list[str]:
    """The thread's most characteristic words: frequent here, rare in the archive."""
    rows = session.execute(
        select(Message.subject, Message.body)
        .where(
            Message.thread_id == thread_id, Message.is_ghost.is_(False), Message.hidden.is_(False),
            Message.redacted.is_(False), Message.kind.not_in(AUTOMATED_KINDS),
        )
        .order_by(Message.date)
        .limit(MESSAGES_READ)
    ).all()
    counts: Counter[str] = Counter()
    for subject, body in rows:
        # The words the index holds as the message's own: not the lines it quotes.
        for weight, source in ((3, subject), (1, answers_only(body or ""))):
            for tok in tokens(source or ""):
                if len(tok) >= 3 and not tok.isdigit() and tok not in STOP:
                    counts[tok] += weight
    candidates = [t for t, _ in counts.most_common(CANDIDATES)]
    if not candidates:
        return []
    total = session.scalar(select(func.count()).select_from(Message)) or 1
    scored = []
    for term in candidates:
        df = _document_frequency(session, term)
        if df <= 1:
            continue  # only in this message: cannot connect to anything else
        scored.append((counts[term] * math.log((total + 1) / (df + 1)), term))
    scored.sort(reverse=True)
    return [term for _, term in scored[:limit]]


def _document_frequency(session: Session, term: str) -> int:
    node = Term((term,))
    if session.get_bind().dialect.name == "sqlite":
        sql, params = "SELECT 1 FROM search_fts WHERE search_fts MATCH :q", {"q": to_fts5(node)}
    else:
        cond = to_pg(node, [])
        sql, params = f"SELECT 1 FROM search_fts f WHERE {cond.sql}", cond.params
    return int(session.execute(text(f"SELECT count(*) FROM ({sql} LIMIT {DF_CAP}) s"), params).scalar() or 0)


def similar_threads(
    session: Session, thread_id: int, limit: int = 5, archive_ids: list[int] | None = None
) -> list[ThreadHit]:
    """Up to `limit` other threads ranked by how well they match this thread's key terms.

    Results are ThreadHit like search()'s, without snippets (the thread page shows
    titles). archive_ids restricts as in search() (pass readable_archive_ids()); None
    means the thread's own archive, so a caller that forgets can never leak a title
    from an archive the reader may not see.
    """
    if archive_ids is None:
        own = session.scalar(select(Message.archive_id).where(Message.thread_id == thread_id).limit(1))
        archive_ids = [own] if own is not None else []
    terms = key_terms(session, thread_id)
    if not terms:
        return []
    parsed = Query(Or(tuple(Term((t,)) for t in terms)))
    page = search_parsed(
        session, parsed, " OR ".join(terms), archive_ids=archive_ids, page=1, per_page=max(1, min(limit, 50)),
        sort="relevance", exclude_thread_id=thread_id, snippets=False,
    )
    return page.results
