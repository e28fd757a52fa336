"""A thread's counts and last activity leave out the messages moderators hid

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 10:00:00

The counters and the last activity are what readers can read
(replyall.threading.links.recompute_thread), so a conversation whose every message is
hidden has a count of 0 and leaves the archive's lists, feeds and statistics, as a
thread of placeholders does, and a hidden spam reply no longer lifts an old thread to
the top of the list. This recounts the threads that hold hidden messages; downgrade
counts them in again.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REAL = "m.thread_id = threads.id AND NOT m.is_ghost AND m.duplicate_of_id IS NULL"
_WITH_HIDDEN = "id IN (SELECT thread_id FROM messages WHERE hidden)"


_LAST = "SELECT max(coalesce(m.date, m.received_at)) FROM messages m WHERE"


def _recount(condition: str) -> None:
    # The last activity falls back to every message's when all are hidden (the thread is
    # off the lists then, and a NULL would sort it oddly in the admin's views).
    op.execute(
        f"UPDATE threads SET"
        f" message_count = (SELECT count(*) FROM messages m WHERE {condition}),"
        f" participant_count = (SELECT count(DISTINCT m.from_address) FROM messages m WHERE {condition}),"
        f" last_activity_at = coalesce(({_LAST} {condition}), ({_LAST} {_REAL}))"
        f" WHERE {_WITH_HIDDEN}"
    )


def upgrade() -> None:
    _recount(f"{_REAL} AND NOT m.hidden")


def downgrade() -> None:
    _recount(_REAL)
