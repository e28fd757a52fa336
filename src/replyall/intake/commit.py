"""Group commit: concurrent SMTP sessions share one durable transaction instead of one fsync each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from replyall.db.engine import Database

log = logging.getLogger(__name__)

Work = Callable[[Session], Any]


class GroupCommitter:
    """Queue write functions; run everything queued so far in one transaction, then the next batch.

    Nothing waits on a timer: while one batch is being committed (its fsync is the
    expensive part), newly arrived sessions queue up and go together in the next
    commit. Under light load each batch holds one item and this is a plain write.
    Every submit() resolves only after the transaction holding it has committed,
    so the SMTP handler still answers 250 only for mail that is on disk. Each item
    runs in its own savepoint: one failing item does not fail its neighbours.
    """

    def __init__(self, db: Database, max_batch: int = 256) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, work: Work) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="smtp-group-commit")
        return await future

    async def idle(self) -> None:
        """Wait until everything submitted so far is committed (or failed)."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            try:
                outcomes = await self.db.write(lambda session: _run_batch(session, batch))
            except Exception as exc:  # noqa: BLE001 - the commit failed: nobody in the batch is stored
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), (ok, value) in zip(batch, outcomes):
                if future.done():  # the session went away while we were committing
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)


def _run_batch(session: Session, batch: list[tuple[Work, asyncio.Future[Any]]]) -> list[tuple[bool, Any]]:
    outcomes: list[tuple[bool, Any]] = []
    for work, _ in batch:
        try:
            with session.begin_nested():
                outcomes.append((True, work(session)))
        except Exception as exc:  # noqa: BLE001 - handed back to that item's session as a 451
            outcomes.append((False, exc))
    return outcomes
