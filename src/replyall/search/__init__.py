"""Full-text search: the one public entry point (FTS5 on SQLite, tsvector on PostgreSQL, chosen by dialect).

    search(session, "budget from:jane -draft", archive_ids=readable_archive_ids(session, settings))
        -> SearchPage (see its docstring); raises QueryError with a message for people
    similar_threads(session, thread_id, limit=5, archive_ids=...) -> list[ThreadHit]
    index_message / unindex_message / rebuild: keep the index in step (the pipeline's
        index step, redaction, hiding, deletion, `replyall reindex`); they never commit.

The query language is documented in replyall.search.query.
"""

from __future__ import annotations

from replyall.search.access import readable_archive_ids
from replyall.search.engine import search
from replyall.search.results import MessageHit, SearchPage, ThreadHit
from replyall.search.indexer import index_message, rebuild, unindex_message
from replyall.search.query import QueryError, parse
from replyall.search.similar import similar_threads
from replyall.search.text import Snippet

__all__ = [
    "MessageHit",
    "QueryError",
    "SearchPage",
    "Snippet",
    "ThreadHit",
    "index_message",
    "parse",
    "readable_archive_ids",
    "rebuild",
    "search",
    "similar_threads",
    "unindex_message",
]
