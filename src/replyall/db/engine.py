"""Engine and session factories: SQLite (WAL, foreign keys, full fsync) or PostgreSQL."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Let people write postgresql:// and still get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web read while the worker writes; synchronous=FULL makes every
    # commit durable (fsync) before we answer 250 to an SMTP client.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # pysqlite's own transaction handling issues BEGIN lazily and DEFERRED, which lets
    # two writers deadlock on lock upgrade; writers take the write lock up front.
    # Readers (execution option sqlite_begin="DEFERRED") never block a writer under WAL.
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "isolation_level": None, "timeout": 30},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """The engine plus a session factory and the one place writes are funnelled through.

    On SQLite every write runs on a single dedicated thread (one writer at a time is
    all SQLite allows; queueing in Python is cheaper than spinning on busy_timeout).
    On PostgreSQL writes run on the default thread pool. Either way the event loop
    is never blocked.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )
        workers = 1 if is_sqlite(engine) else 8
        self._writer = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="db-write")
        # write_connection() on SQLite: the one writer thread keeps one Core connection
        # checked out, so the hot path skips the pool's checkout and reset per batch. Not
        # on PostgreSQL: eight writer threads holding connections would starve the pool
        # the web and the worker share, and there a checkout is small beside a round trip.
        self._held = threading.local()
        self._held_all: list[Connection] = []

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 5) -> "Database":
        return cls(make_engine(url, pool_size=pool_size))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any exception."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (the web, the digest); it never takes the write lock."""
        with self._read_sessions() as session:
            yield session

    async def write(self, fn: Callable[[Session], T]) -> T:
        """Run fn(session) in a transaction on the writer thread and await the result."""

        def run() -> T:
            with self.transaction() as session:
                return fn(session)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, run)

    async def write_connection(self, fn: Callable[[Connection], T]) -> T:
        """Like write(), with a Core connection instead of an ORM session.

        For the SMTP hot path, where one INSERT per message is the whole job and the
        session's unit-of-work machinery would cost more CPU than the insert itself.
        """

        def run() -> T:
            if self.dialect != "sqlite":
                with self.engine.begin() as conn:
                    return fn(conn)
            conn = getattr(self._held, "conn", None)
            if conn is None or conn.closed:
                conn = self._held.conn = self.engine.connect()
                self._held_all.append(conn)
            # A connection that failed is invalidated by the failed statement; SQLAlchemy
            # reconnects it on next use, so no stale state survives an error.
            with conn.begin():
                return fn(conn)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, run)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        for conn in self._held_all:  # the writer threads are gone; nothing else uses these
            conn.close()
        self.engine.dispose()
