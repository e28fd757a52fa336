"""db.queries.order_tree on plain rows: conversation order without recursion limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from replyall.db.queries import order_tree

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def row(id: int, parent: int | None = None, minutes: int = 0, ghost: bool = False, duplicate_of: int | None = None):
    return SimpleNamespace(id=id, parent_id=parent, duplicate_of_id=duplicate_of, is_ghost=ghost,
                           date=None if ghost else T0 + timedelta(minutes=minutes), received_at=None)


def test_a_reply_chain_deeper_than_the_recursion_limit_is_ordered():
    chain = [row(i, i - 1 if i > 1 else None, minutes=i) for i in range(1, 3001)]
    placed = order_tree(list(reversed(chain)))
    assert [(m.id, depth) for m, depth in placed] == [(i, i - 1) for i in range(1, 3001)]


def test_siblings_by_date_depth_first_ghosts_pruned_and_duplicates_folded():
    rows = [
        row(1, minutes=0), row(2, 1, minutes=10), row(3, 1, minutes=5), row(4, 2, minutes=11),
        row(5, 9, minutes=20),  # its parent is a ghost with one child: the child takes its place
        row(9, ghost=True),
        row(6, 1, minutes=6, duplicate_of=3), row(7, 6, minutes=7),  # a reply to a copy hangs under the original
    ]
    assert [(m.id, depth) for m, depth in order_tree(rows)] == [(1, 0), (3, 1), (7, 2), (2, 1), (4, 2), (5, 0)]
