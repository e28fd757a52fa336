"""Shape database rows for display: conversation order, depth, and what is shown collapsed."""

from __future__ import annotations

from datetime import datetime, timedelta

from replyall.db.models import Message, Thread

#: Indentation stops here so a 40-deep reply chain still fits a phone screen.
MAX_DEPTH = 8

# Keys are the thread_reason values the thread step (pipeline/thread.py,
# threading/links.py) and thread repair (admin/repairs.py) write.
REASONS = {
    "new": "Started a new conversation",
    "references": "Joined by its reply headers (In-Reply-To / References)",
    "in-reply-to": "Joined by its In-Reply-To header",
    "thread-index": "Joined by Outlook's Thread-Index header",
    "subject": "Joined by subject and shared participants (its reply headers were missing)",
    "duplicate": "A copy of another message, folded into it",
    "ghost": "Placeholder for a message the archive has not received",
    "repair": "Placed here by an administrator (thread repair)",
}

KIND_LABELS = {
    "auto_reply": "Automatic reply",
    "bounce": "Delivery failure report",
    "recall": "Recall request",
    "receipt": "Read receipt",
}


def reason_text(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " ").capitalize())


def flat_order(messages: list) -> list[tuple]:
    """(message, 0) by date; placeholders and near-duplicate copies are left out, as in the tree."""
    return [(m, 0) for m in messages if not m.is_ghost and m.duplicate_of_id is None]


def is_auto(message: Message) -> bool:
    return message.kind in KIND_LABELS


def is_new(thread: Thread, now: datetime) -> bool:
    return thread.started_at is not None and thread.started_at >= now - timedelta(hours=24)


def is_unanswered(human_messages: int) -> bool:
    return human_messages <= 1


def pages(page: int, total: int, per_page: int) -> dict[str, int | None]:
    last = max(1, -(-total // per_page))
    return {
        "page": page,
        "last": last,
        "prev": page - 1 if page > 1 else None,
        "next": page + 1 if page < last else None,
        "total": total,
    }


FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "outlook.com", "live.com", "live.co.uk",
    "yahoo.com", "yahoo.co.uk", "icloud.com", "me.com", "aol.com", "btinternet.com", "protonmail.com", "proton.me",
})


def organisation(domain: str) -> str:
    """The organisation a mail domain stands for; free-mail domains name no organisation."""
    domain = (domain or "").lower()
    if not domain:
        return "Unknown"
    if domain in FREE_MAIL:
        return f"Personal address ({domain})"
    return domain


def show_original(message, always: bool = False) -> bool:
    """Offer the pre-cleaning text when it holds lines the cleaned parts do not show.

    Usually the original is just body + quote + signature again; repeating it 200
    times would double a long thread's page. The permalink page always offers it.
    """
    original = (message.original or "").strip()
    if not original:
        return False
    if always:
        return True
    shown = {line.strip() for part in (message.body, message.quote, message.signature, message.disclaimer)
             for line in (part or "").splitlines()}
    return any(line.strip() and line.strip() not in shown for line in original.splitlines())
