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
