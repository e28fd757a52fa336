"""Build one archive's summary for one window: pure functions from threads and messages to a Digest."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from replyall.cleaning.quotes import answers_only

#: About this many characters of each new real answer are quoted.
EXCERPT_CHARS = 300
#: "Still unanswered" looks back this far from the send time.
UNANSWERED_DAYS = 7
#: Kinds that never appear in a summary (storm noise the classifier marked).
NOISE_KINDS = frozenset({"auto_reply", "bounce", "recall", "receipt"})

# Short replies that add nothing to read: counted ("3 short replies: +1, thanks"), not
# quoted. In a reply-all storm these are most of the traffic.
_ACK_PHRASES = (
    "+1", "+ 1", "me too", "me too please", "same here", "same", "likewise", "ditto", "agreed", "agree",
    "thanks", "thank you", "thankyou", "thanks all", "thanks everyone", "thank you all", "many thanks",
    "thanks very much", "thank you very much", "thanks so much", "thank you so much", "much appreciated",
    "cheers", "ta", "noted", "received", "great", "brilliant", "perfect", "excellent", "lovely", "ok", "okay",
    "please remove me", "remove me", "please remove me from this list", "please take me off this list",
    "unsubscribe", "stop replying all", "please stop replying all", "please stop replying to all",
    "interested", "following", "subscribing", "same question", "i would like this too",
    "yes please", "please add me", "please can you add me",
)
_ACK_FILLER = {
    "hi", "hello", "all", "everyone", "folks", "team", "and", "a", "lot", "too", "also", "from", "me", "please",
    "regards", "kind", "best", "wishes", "many", "thx", "tx", "x", "xx",
}
_ACK_RE = re.compile(
    r"^(?:" + "|".join(re.escape(p) for p in sorted(_ACK_PHRASES, key=len, reverse=True)) + r")(?=\W|$)"
)
#: Bodies longer than this are never acknowledgements, whatever words they contain.
_ACK_MAX_CHARS = 80
_EMAIL = re.compile(r"([A-Za-z0-9._%+'=-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def hide_addresses(text: str) -> str:
    """jo@example.org -> "jo at example.org", as the web shows addresses to the public."""
    return _EMAIL.sub(r"\1 at \2", text)


@dataclass(frozen=True)
class MessageIn:
    """The facts the summary needs about one archived message (queries.load_window fills these)."""

    id: int
    thread_id: int
    from_name: str
    from_address: str
    date: datetime | None
    received_at: datetime | None
    body: str
    kind: str = "normal"
    hidden: bool = False
    redacted: bool = False
    is_ghost: bool = False

    @property
    def when(self) -> datetime | None:
        return self.date or self.received_at

    @property
    def author(self) -> str:
        return self.from_name.strip() or self.from_address or "(unknown sender)"


@dataclass(frozen=True)
class ThreadIn:
    id: int
    key: str
    subject: str
    started_at: datetime | None
    last_activity_at: datetime | None


@dataclass(frozen=True)
class Excerpt:
    author: str
    when: datetime | None
    text: str


@dataclass
class ThreadSummary:
    key: str
    subject: str
    url: str
    is_new: bool
    new_count: int
    authors: list[str]
    excerpts: list[Excerpt]
    ack_count: int
    ack_authors: list[str]
    last_activity: datetime | None
    started_by: str = ""


@dataclass
class Unanswered:
    key: str
    subject: str
    url: str
    started_by: str
    started_at: datetime | None


@dataclass
class Digest:
    archive_slug: str
    archive_name: str
    day: date
    window_start: datetime
    window_end: datetime
    threads: list[ThreadSummary] = field(default_factory=list)
    unanswered: list[Unanswered] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """No new messages in the window (an unanswered list alone is no news)."""
        return not self.threads

    @property
    def message_count(self) -> int:
        return sum(t.new_count for t in self.threads)


def _words(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w+\s']", " ", text)  # punctuation and emoji go; "+1" stays
    return re.sub(r"\s+", " ", text).strip()


def is_acknowledgement(body: str) -> bool:
    """True for "+1", "Thanks!", "Me too please", "Many thanks, Jo": nothing worth quoting."""
    text = body.strip()
    if not text or len(text) > _ACK_MAX_CHARS:
        return False
    rest = _words(text)
    found = False
    while rest:
        match = _ACK_RE.match(rest)
        if match:
            found, rest = True, rest[match.end():].strip()
            continue
        word, _, rest = rest.partition(" ")
        if word not in _ACK_FILLER:
            # Allow a sign-off name ("Thanks, Jo Bloggs") but nothing of substance.
            if len(rest.split()) > 1 or not found:
                return False
    return found


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """The cleaned body on one line, cut at a word boundary near `limit` characters."""
    text = re.sub(r"\s+", " ", body).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    else:
        cut = cut[:limit]
    return cut.rstrip(" ,;:-–—") + "…"


def _visible(m: MessageIn) -> bool:
    return not m.is_ghost and not m.hidden and m.kind not in NOISE_KINDS


def _arrived_in(m: MessageIn, start: datetime, end: datetime) -> bool:
    # A message belongs to the day it reached the archive. Its Date header may be
    # hours off (wrong PC clocks), but one older than a week before the window is an
    # import of old mail, not news.
    arrived = m.received_at or m.date
    if arrived is None or not (start <= arrived < end):
        return False
    return m.date is None or m.date >= start - timedelta(days=UNANSWERED_DAYS)


def _distinct(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return list(seen)


def build_digest(
    *,
    archive_slug: str,
    archive_name: str,
    day: date,
    window_start: datetime,
    window_end: datetime,
    threads: Iterable[ThreadIn],
    messages: Iterable[MessageIn],
    thread_url: Callable[[str], str],
    obfuscate: bool = False,
) -> Digest:
    """The summary: threads with new messages (most active first) and still-unanswered threads.

    `messages` are all messages of the given threads (older ones tell who started a
    thread and whether anyone answered); `thread_url(key)` makes the link. With
    `obfuscate`, addresses in names and excerpts are written "jo at example.org"
    (a public archive's summary goes to anyone who asks for it).
    """
    shown_text = hide_addresses if obfuscate else (lambda text: text)
    digest = Digest(archive_slug, archive_name, day, window_start, window_end)
    by_thread: dict[int, list[MessageIn]] = {}
    for m in messages:
        by_thread.setdefault(m.thread_id, []).append(m)
    unanswered_since = window_end - timedelta(days=UNANSWERED_DAYS)
    far_past = datetime.min.replace(tzinfo=window_end.tzinfo)

    for thread in threads:
        msgs = sorted(by_thread.get(thread.id, []), key=lambda m: (m.when or far_past, m.id))
        shown = [m for m in msgs if _visible(m)]
        if not shown:
            continue
        starter = shown[0]
        new = [m for m in shown if _arrived_in(m, window_start, window_end)]
        if new:
            excerpts, acks = [], []
            for m in new:
                # An interleaved answer is summed up by its answers, not the lines it quotes.
                said = answers_only(m.body).strip() or m.body
                if m.redacted or not said.strip() or is_acknowledgement(said):
                    acks.append(m)
                else:
                    excerpts.append(Excerpt(shown_text(m.author), m.when, shown_text(excerpt(said))))
            digest.threads.append(
                ThreadSummary(
                    key=thread.key,
                    subject=thread.subject or "(no subject)",
                    url=thread_url(thread.key),
                    is_new=starter in new,
                    new_count=len(new),
                    authors=_distinct(shown_text(m.author) for m in new),
                    excerpts=excerpts,
                    ack_count=len(acks),
                    ack_authors=_distinct(shown_text(m.author) for m in acks),
                    last_activity=max((m.when for m in new if m.when), default=None),
                    started_by=shown_text(starter.author),
                )
            )
        # Still unanswered: asked in the last week (before this window, so it has had
        # at least a day), and no real answer from anyone but the person who asked.
        # A "+1 me too" from someone else is no answer.
        started = starter.when
        if started is not None and unanswered_since <= started < window_start and starter.kind == "normal":
            answered = any(
                m.from_address != starter.from_address and not is_acknowledgement(m.body)
                for m in shown[1:]
                if (m.when or far_past) < window_end
            )
            if not answered:
                digest.unanswered.append(
                    Unanswered(
                        thread.key, thread.subject or "(no subject)", thread_url(thread.key), shown_text(starter.author), started
                    )
                )

    digest.threads.sort(key=lambda t: (-t.new_count, -(t.last_activity or far_past).timestamp(), t.subject.lower()))
    digest.unanswered.sort(key=lambda u: u.started_at or far_past)
    return digest
