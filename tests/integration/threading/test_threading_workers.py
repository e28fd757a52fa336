"""Two workers threading related messages at once never split one conversation (unique rows + Retry)."""

from __future__ import annotations

import threading as std_threading

from sqlalchemy import func, select
from thread_helpers import archive_id, feed, make

from replyall.db.engine import Database
from replyall.db.models import Message, RawMessage, Thread
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain


def _replies() -> list[bytes]:
    out = []
    for i in range(24):
        # Every reply names the same missing root; half also name an earlier sibling,
        # so workers race both on creating the root's ghost and on merging.
        refs = "<root@storm>" + (f" <r{i - 1}@storm>" if i % 2 else "")
        out.append(make(f"r{i}@storm", subject="RE: Flooding update", minutes=i + 1, sender=f"p{i}@council{i % 5}.example.gov.uk",
                        references=refs))
    return out


def test_concurrent_workers_build_one_thread_for_one_conversation(db, settings, clock):
    with db.transaction() as session:
        aid = archive_id(session)
        for data in _replies():
            store_raw(session, aid, data, clock=clock, source="import")

    errors: list[BaseException] = []
    start = std_threading.Barrier(2)

    def work() -> None:
        own = Database.from_url(settings.database.url)
        try:
            start.wait()
            drain(own, settings, clock)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            own.close()

    workers = [std_threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=240)
    assert not errors, errors
    drain(db, settings, clock)  # anything a Retry left pending

    with db.reader() as session:
        statuses = dict(session.execute(select(RawMessage.status, func.count()).group_by(RawMessage.status)).all())
        assert statuses == {"done": 24}, statuses
        thread_ids = set(session.scalars(select(Message.thread_id)))
        assert len(thread_ids) == 1
        ghosts = list(session.scalars(select(Message).where(Message.is_ghost.is_(True))))
        assert [g.message_id for g in ghosts] == ["root@storm"]
        (thread,) = session.scalars(select(Thread))
        assert thread.message_count == 24 and thread.participant_count == 24

    feed(db, settings, clock, [make("root@storm", subject="Flooding update", sender="chief@council0.example.gov.uk")])
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(Message).where(Message.is_ghost.is_(True))) == 0
        (thread,) = session.scalars(select(Thread))
        assert thread.message_count == 25
