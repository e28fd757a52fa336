"""When the database really cannot take the message, the client gets 451 4.3.0 and its retry succeeds."""

from __future__ import annotations

import sqlite3
import smtplib

from support.intake import make_message, raw_rows
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from replyall.db.archives import sync_archives
from replyall.db.engine import normalise_url


class _SqliteTableGone:
    """Take raw_messages away under the running server, from another connection, then bring it back.

    Tests run as root here, so a read-only file or directory would not stop the
    writer (and its already-open file descriptors would not notice either); a table
    that disappears is a storage failure SQLite reports for real on the next write.
    """

    def __init__(self, url: str) -> None:
        self.path = make_url(url).database

    def _run(self, sql: str) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute(sql)
        finally:
            conn.close()

    def break_it(self) -> None:
        self._run("ALTER TABLE raw_messages RENAME TO raw_messages_offline")

    def repair(self) -> None:
        self._run("ALTER TABLE raw_messages_offline RENAME TO raw_messages")


class _PostgresDropped:
    """DROP DATABASE ... WITH (FORCE) under the running server, then recreate it from the template."""

    def __init__(self, url: str, template: str, settings, clock) -> None:
        self.url, self.template, self.settings, self.clock = url, template, settings, clock
        self.name = make_url(url).database
        self.admin = create_engine(make_url(normalise_url(url)).set(database="postgres"), isolation_level="AUTOCOMMIT")

    def break_it(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{self.name}" WITH (FORCE)'))

    def repair(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"'))
        engine = create_engine(normalise_url(self.url))
        with engine.begin() as conn:
            from sqlalchemy.orm import Session

            with Session(bind=conn) as session:
                sync_archives(session, self.settings, self.clock)
                session.flush()
        engine.dispose()
        self.admin.dispose()


def test_storage_failure_answers_451_and_retry_succeeds(live, db, settings, clock, request):
    if db.dialect == "sqlite":
        outage = _SqliteTableGone(settings.database.url)
    else:
        outage = _PostgresDropped(settings.database.url, request.getfixturevalue("_pg_template"), settings, clock)
    data = make_message("<during-outage@council.test>")

    outage.break_it()
    with live.client() as client:
        client.mail("alice@council.test")
        assert client.rcpt("comms-network@archive.example.org")[0] == 250
        code, reply = client.data(data)
    assert (code, reply) == (451, b"4.3.0 Temporary local problem, please try again later")
    # No exception text, table name or SQL reaches the client.
    for leak in (b"raw_messages", b"Error", b"sqlite", b"psycopg", b"database"):
        assert leak not in reply

    outage.repair()
    # What an MTA does with a 4xx: keep the message and try again later.
    live.send(data)
    rows = raw_rows(db)
    assert [r.message_id for r in rows] == ["during-outage@council.test"]
    assert rows[0].raw == data and rows[0].delivery_count == 1


def test_the_session_survives_a_failed_store(live, db, settings, clock, request):
    """After a 451 the same connection can send again once storage is back (no stale state)."""
    if db.dialect != "sqlite":
        return  # one backend is enough for connection-state behaviour; the 451 itself is covered above
    outage = _SqliteTableGone(settings.database.url)
    with live.client() as client:
        outage.break_it()
        try:
            client.sendmail("alice@council.test", ["comms-network@archive.example.org"], make_message("<s1@x>"))
        except smtplib.SMTPDataError as exc:
            assert exc.smtp_code == 451
        else:
            raise AssertionError("expected 451")
        outage.repair()
        assert client.sendmail("alice@council.test", ["comms-network@archive.example.org"], make_message("<s1@x>")) == {}
    assert [r.message_id for r in raw_rows(db)] == ["s1@x"]
