"""Every migration walks up and down on SQLite and PostgreSQL, and the models match the migrations."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from replyall.db import migrate
from replyall.db.engine import make_engine


def test_walk_every_migration_up_and_down(db_url):
    # The fixture starts at head; go down to nothing, then up and down one step at a time.
    migrate.downgrade(db_url, "base")
    engine = make_engine(db_url)
    try:
        assert "messages" not in inspect(engine).get_table_names()
        script = ScriptDirectory.from_config(migrate.alembic_config(db_url))
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
        for revision in revisions:
            migrate.upgrade(db_url, revision)
            assert migrate.current_revision(engine) == revision
        for revision in reversed(revisions):
            migrate.downgrade(db_url, f"{revision}-1" if revision != revisions[0] else "base")
        assert migrate.current_revision(engine) is None
        migrate.upgrade(db_url, "head")
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_models_match_migrations(db_url):
    engine = make_engine(db_url)
    try:
        assert migrate.drift(engine) == []
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: fsync per commit
    finally:
        engine.dispose()


def test_has_attachments_is_recomputed_for_stored_messages(db_url, db, settings, clock):
    # 0009: a message whose only files are pictures its HTML lays out no longer counts as
    # having attachments; one with a file attached still does. Downgrade restores the old flag.
    from datetime import UTC, datetime

    from sqlalchemy import select

    from replyall.db.models import Message
    from support.web import ingest, outlook_mail

    when = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    ingest(db, settings, clock, outlook_mail("logos@x", date=when, body="Logos only."),
           outlook_mail("file@x", date=when, body="A file.", attachments=[("rota.csv", "text/csv", b"day\n")]))

    def flags() -> dict[str, bool]:
        with db.reader() as session:
            return {mid: bool(flag) for mid, flag in session.execute(select(Message.message_id, Message.has_attachments))}

    assert flags() == {"logos@x": False, "file@x": True}
    migrate.downgrade(db_url, "0008")
    assert flags() == {"logos@x": True, "file@x": True}
    migrate.upgrade(db_url, "head")
    assert flags() == {"logos@x": False, "file@x": True}


def test_thread_counters_are_recounted_without_hidden_messages(db_url, db, settings, clock):
    # 0010: a thread's message and participant counts and its last activity leave out hidden
    # messages, so a conversation the moderators hid whole has 0 and leaves the lists, and a
    # hidden reply does not date the thread. Downgrade counts them again.
    from datetime import UTC, datetime

    from sqlalchemy import select, update

    from replyall.db.models import Message, Thread
    from support.web import ingest, make_mail

    when = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    ingest(db, settings, clock,
           make_mail("spam@x", subject="Offer", date=when, sender=("Spam", "spam@x.example")),
           make_mail("ask@x", subject="Policy", date=when),
           make_mail("answer@x", subject="Re: Policy", date=when.replace(hour=10), parent="ask@x",
                     sender=("Sam", "sam@police.uk")))
    with db.transaction() as session:
        # As a database from before 0010 holds them: flags set, counters counting every message.
        session.execute(update(Message).where(Message.message_id.in_(["spam@x", "answer@x"])).values(hidden=True))

    def counters() -> dict[str, tuple[int, int, int]]:
        with db.reader() as session:
            return {t.subject: (t.message_count, t.participant_count, t.last_activity_at.hour)
                    for t in session.scalars(select(Thread))}

    assert counters() == {"Offer": (1, 1, 9), "Policy": (2, 2, 10)}
    migrate.downgrade(db_url, "0009")
    migrate.upgrade(db_url, "head")
    assert counters() == {"Offer": (0, 0, 9), "Policy": (1, 1, 9)}
    migrate.downgrade(db_url, "0009")
    assert counters() == {"Offer": (1, 1, 9), "Policy": (2, 2, 10)}
    migrate.upgrade(db_url, "head")
