"""Group commit: concurrent SMTP sessions share one durable transaction instead of one fsync each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from replyall.db.engine import Database

Work = Callable[[Connection], Any]


class GroupCommitter:
    """Queue write functions; run everything queued so far in one transaction, then the next batch.

    Nothing waits on a timer: while one batch is being committed (its fsync is the
    expensive part), newly arrived sessions queue up and go together in the next
    commit. Under light load each batch holds one item and this is a plain write.
    Every submit() resolves only after the transaction holding it has committed,
    so the SMTP handler still answers 250 only for mail that is on disk. If a batch
    fails, its items are retried one transaction each, so one bad item cannot fail
    its neighbours (cheaper than a savepoint per item, which costs two round trips).

    SQLite has one writer, so one batch at a time; PostgreSQL takes several batches
    at once on separate connections (it group-commits concurrent transactions itself).
    """

    def __init__(self, db: Database, max_batch: int = 256) -> None:
        self.db = db
        self.max_batch = max_batch
        self.flushers = 1 if db.dialect == "sqlite" else 4
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Flushers still looking at the queue. Not len(_tasks): a flusher that has just
        # found the queue empty stays in _tasks until its done-callback runs, and a
        # session woken by that flusher's last batch can submit in between; counted
        # that way, its message would wait for some later delivery to be flushed.
        self._flushing = 0

    async def submit(self, work: Work) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._flushing < self.flushers:
            self._flushing += 1
            task = asyncio.create_task(self._flush(), name="smtp-group-commit")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def idle(self) -> None:
        """Wait until everything submitted so far is committed (or failed)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _flush(self) -> None:
        try:
            await self._drain()
        finally:
            self._flushing -= 1  # no await between the empty-queue check and this

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            try:
                results = await self.db.write_connection(lambda conn: [work(conn) for work, _ in batch])
            except Exception as exc:  # noqa: BLE001 - nothing in the batch is stored
                if len(batch) == 1:
                    _settle(batch[0][1], False, exc)
                    continue
                for work, future in batch:
                    try:
                        _settle(future, True, await self.db.write_connection(work))
                    except Exception as item_exc:  # noqa: BLE001 - that session answers 451
                        _settle(future, False, item_exc)
                continue
            for (_, future), value in zip(batch, results):
                _settle(future, True, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the session went away while we were committing
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
