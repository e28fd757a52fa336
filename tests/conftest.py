"""Shared fixtures: settings factory, frozen clock, a fresh migrated database per test (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from replyall.clock import FrozenClock
from replyall.config import Settings
from support.settings import make_settings
from replyall.db import migrate
from replyall.db.archives import sync_archives
from replyall.db.engine import Database, normalise_url

PG_ENV = "REPLYALL_TEST_POSTGRES_URL"
DATA = Path(__file__).parent / "data"


def pytest_collection_modifyitems(config, items):
    # Under CI the PostgreSQL tests must run: a missing URL is a failure, not a skip.
    if os.environ.get("CI") == "true" and not os.environ.get(PG_ENV):
        raise pytest.UsageError(f"CI=true but {PG_ENV} is not set: PostgreSQL tests cannot be skipped in CI")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))


@pytest.fixture
def settings_factory():
    return make_settings


# --- databases -------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template, tmp_path) -> str:
    """A fresh, migrated SQLite file for this test."""
    path = tmp_path / "replyall.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    return normalise_url(url) if url else None


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip(f"{PG_ENV} not set (PostgreSQL tests run in CI)")
    name = f"replyall_tpl_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield name
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def pg_url(_pg_template) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test (cloned from a template)."""
    admin = _pg_admin_url()
    assert admin is not None
    name = f"replyall_t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"'))
    yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def settings(db_url) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def db(settings, clock) -> Iterator[Database]:
    database = Database.from_url(settings.database.url)
    with database.transaction() as session:
        sync_archives(session, settings, clock)
    yield database
    database.close()
