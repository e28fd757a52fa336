"""What search returns: pages of thread results, each with its best-matching messages and snippets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from replyall.search.text import Snippet


@dataclass(frozen=True)
class MessageHit:
    """One matching message. `key` (message_id_hash) is its public id for URLs."""

    id: int
    key: str
    message_id: str
    subject: str
    from_name: str
    from_address: str
    date: datetime | None
    score: float
    snippet: Snippet
    #: "body" (what the author wrote) or "quote" (the snippet comes from quoted text).
    snippet_source: str = "body"


@dataclass(frozen=True)
class ThreadHit:
    """One result: a thread, its score (its best message's) and up to three best messages."""

    thread_id: int
    thread_key: str
    archive_id: int
    archive_slug: str
    subject: str
    subject_snippet: Snippet
    score: float
    last_match_at: datetime | None
    message_count: int
    match_count: int
    messages: tuple[MessageHit, ...]
    #: The thread's own last activity (not only the matches'), as Thread has it.
    last_activity_at: datetime | None = None

    @property
    def best(self) -> MessageHit | None:
        return self.messages[0] if self.messages else None

    @property
    def key(self) -> str:
        # Same name as Thread.key, so a template listing threads takes either.
        return self.thread_key


@dataclass(frozen=True)
class SearchPage:
    """One page of thread results.

    `results` holds at most `per_page` ThreadHit, best first (or newest first with
    sort="date"); `total` counts matching threads over all pages (see total_exact). Snippets are
    `Snippet` objects: a tuple of (text, is_match) segments whose `html()` (and
    `__html__`, so `{{ snippet }}` in an autoescaped Jinja template) gives escaped
    text with the matched words in <mark>; `str(snippet)` is plain text.
    """

    query: str
    page: int
    per_page: int
    sort: str
    total: int
    results: list[ThreadHit] = field(default_factory=list)
    #: False when `total` is an estimate: a very common word is ranked from its best
    #: matches only, and the count of threads beyond them is extrapolated ("about").
    total_exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1
