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
