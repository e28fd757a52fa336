"""The processing worker: claims pending raw messages and runs the pipeline, until told to stop."""

from __future__ import annotations

import asyncio
import logging

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.engine import Database
from replyall.pipeline.runner import process_next

log = logging.getLogger(__name__)


class Worker:
    """Wakes when intake stores a message (`notify`) or every poll_interval seconds."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        log.info("worker started")
        while not self._stopping.is_set():
            try:
                status = await self.db.write(lambda s: process_next(s, self.settings, self.clock))
            except Exception:  # noqa: BLE001 - database trouble: back off, keep the service up
                log.exception("worker could not process; will retry")
                status = None
            if status is not None:
                continue  # more may be waiting; an in-flight message always finishes first
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.worker.poll_interval)
            except TimeoutError:
                pass
        log.info("worker stopped")
