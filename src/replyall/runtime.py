"""The long-running service: SMTP intake, worker, web and schedulers in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass

import uvicorn

from replyall.clock import Clock, SystemClock
from replyall.config import Settings
from replyall.db import migrate
from replyall.db.archives import sync_archives
from replyall.db.engine import Database
from replyall.web.app import create_app
from replyall.worker import Worker

log = logging.getLogger(__name__)


class NotMigrated(Exception):
    """The database schema is not at the code's head revision."""


class _EmbeddedUvicorn(uvicorn.Server):
    # The service owns SIGINT/SIGTERM for all its parts; uvicorn must not take them.
    def capture_signals(self):  # type: ignore[override]
        return contextlib.nullcontext()


@dataclass
class Parts:
    smtp: bool = True
    web: bool = True
    worker: bool = True
    digest: bool = True


class Service:
    def __init__(self, settings: Settings, parts: Parts | None = None, clock: Clock | None = None) -> None:
        self.settings = settings
        self.parts = parts or Parts()
        self.clock = clock or SystemClock()
        self.db = Database.from_url(settings.database.url, pool_size=settings.database.pool_size)
        self.worker: Worker | None = None
        self.smtp = None
        self.web: _EmbeddedUvicorn | None = None
        self._tasks: list[asyncio.Task] = []
        self._stop = asyncio.Event()
        self._digest_stop = asyncio.Event()
        self.smtp_port: int | None = None
        self.web_port: int | None = None

    def check_schema(self) -> None:
        current, head = migrate.current_revision(self.db.engine), migrate.head_revision()
        if current != head:
            raise NotMigrated(
                f"database is at revision {current or 'none'}, code expects {head}: run `replyall db upgrade`"
            )

    async def start(self) -> None:
        self.check_schema()
        await self.db.write(lambda s: sync_archives(s, self.settings, self.clock))
        if self.parts.worker:
            self.worker = Worker(self.db, self.settings, self.clock)
            self._tasks.append(asyncio.create_task(self.worker.run(), name="worker"))
        if self.parts.smtp:
            from replyall.intake.smtp import start_server

            notify = self.worker.notify if self.worker else None
            self.smtp = await start_server(self.settings, self.db, self.clock, on_stored=notify)
            self.smtp_port = self.smtp.port
            log.info("smtp listening", extra={"host": self.settings.smtp.host, "port": self.smtp_port})
        if self.parts.digest and self.settings.digest.enabled:
            from replyall.digest.schedule import run_scheduler

            self._tasks.append(asyncio.create_task(
                run_scheduler(self.db, self.settings, self.clock, self._digest_stop), name="digest"
            ))
        if self.parts.web:
            app = create_app(self.settings, self.db, self.clock)
            config = uvicorn.Config(
                app, host=self.settings.web.host, port=self.settings.web.port, log_config=None, access_log=False,
                lifespan="off", proxy_headers=True,
            )
            self.web = _EmbeddedUvicorn(config)
            self._tasks.append(asyncio.create_task(self.web.serve(), name="web"))
            while not self.web.started:
                if self._tasks[-1].done():
                    self._tasks[-1].result()  # re-raise a bind error
                    raise RuntimeError("web server stopped during start-up")
                await asyncio.sleep(0.01)
            self.web_port = self.web.servers[0].sockets[0].getsockname()[1]
            log.info("web listening", extra={"url": f"http://{self.settings.web.host}:{self.web_port}/"})

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Start, then serve until SIGINT/SIGTERM, then stop cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        try:
            await self.start()
            await self._stop.wait()
            log.info("shutting down")
        finally:
            await self.stop()

    async def stop(self) -> None:
        # Order matters: stop taking mail first, let the worker finish the message in
        # hand, then close the web, then the database.
        if self.smtp is not None:
            await self.smtp.close()
        if self.worker is not None:
            self.worker.stop()
        self._digest_stop.set()
        if self.web is not None:
            self.web.should_exit = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.to_thread(self.db.close)
        log.info("stopped")
