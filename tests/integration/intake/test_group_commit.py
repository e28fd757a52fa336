"""Group commit: concurrent stores share transactions, yet each caller learns its own outcome."""

from __future__ import annotations

import asyncio

from support.intake import make_message, raw_rows

from replyall.intake.commit import GroupCommitter
from replyall.intake.store import store_raw


def test_concurrent_stores_batch_and_a_bad_item_fails_alone(db, clock):
    from replyall.db.models import Archive

    with db.reader() as session:
        archive_id = session.query(Archive.id).filter_by(slug="comms-network").scalar()

    def good(n):
        return lambda session: store_raw(session, archive_id, make_message(f"<gc-{n}@x>"), clock=clock, source="smtp").raw_id

    def bad(session):
        store_raw(session, archive_id, make_message("<gc-bad@x>"), clock=clock, source="smtp")
        raise ValueError("this one cannot be kept")

    async def run():
        committer = GroupCommitter(db)
        works = [good(n) for n in range(10)] + [bad] + [good(n) for n in range(10, 20)]
        outcomes = await asyncio.gather(*(committer.submit(w) for w in works), return_exceptions=True)
        await committer.idle()
        return outcomes

    outcomes = asyncio.run(run())
    assert isinstance(outcomes[10], ValueError)
    assert all(isinstance(o, int) for i, o in enumerate(outcomes) if i != 10)
    stored = {r.message_id for r in raw_rows(db)}
    assert stored == {f"gc-{n}@x" for n in range(20)}  # the failed item's row was rolled back


def test_a_store_submitted_as_the_previous_batch_finishes_is_committed(db, clock):
    """The session answered for one batch can submit the next message before the finished
    flusher's done-callback runs; that message must start a flush, not wait for another."""
    from replyall.db.models import Archive

    with db.reader() as session:
        archive_id = session.query(Archive.id).filter_by(slug="comms-network").scalar()

    def work(n):
        return lambda conn: store_raw(conn, archive_id, make_message(f"<gc-next-{n}@x>"), clock=clock, source="smtp").raw_id

    async def run():
        committer = GroupCommitter(db)
        first = await committer.submit(work(1))
        # In this task, right away (wait_for would start a new task and miss the window);
        # without the fix this await never completes: nothing else would flush it.
        async with asyncio.timeout(30):
            second = await committer.submit(work(2))
        return first, second

    first, second = asyncio.run(run())
    assert second != first
    assert {r.message_id for r in raw_rows(db)} >= {"gc-next-1@x", "gc-next-2@x"}
