"""Search, under the name the architecture gives it: everything lives in replyall.search (one entry point)."""

from __future__ import annotations

from replyall.search import (
    MessageHit,
    QueryError,
    SearchPage,
    Snippet,
    ThreadHit,
    index_message,
    readable_archive_ids,
    rebuild,
    search,
    similar_threads,
    unindex_message,
)

__all__ = [
    "MessageHit",
    "QueryError",
    "SearchPage",
    "Snippet",
    "ThreadHit",
    "index_message",
    "readable_archive_ids",
    "rebuild",
    "search",
    "similar_threads",
    "unindex_message",
]
