"""Fixtures for the members-only, sign-in and administration tests: a relay sink and the real app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from support.auth import ADMIN, MEMBER, sign_in
from support.relay import Sink
from fastapi.testclient import TestClient

from replyall.web.app import create_app


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.close()


@pytest.fixture
def settings(db_url, sink, settings_factory):
    return settings_factory(
        db_url,
        relay={"host": "127.0.0.1", "port": sink.port, "from_address": "replyall@archive.example.org", "timeout": 10},
        auth={"admins": [ADMIN]},
    )


@pytest.fixture
def app(settings, db, clock):
    return create_app(settings, db, clock)


def _client(app) -> TestClient:
    return TestClient(app, base_url="http://archive.test")


@pytest.fixture
def client(app):
    with _client(app) as c:
        yield c


@pytest.fixture
def new_client(app):
    """Another browser: its own cookies, the same app."""
    clients = []

    def make() -> TestClient:
        c = _client(app)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def step(clock):
    def advance(**kwargs) -> None:
        clock.advance(timedelta(**kwargs))

    return advance


@pytest.fixture
def admin(new_client, sink):
    """A browser signed in as the archive administrator."""
    browser = new_client()
    sign_in(browser, sink, ADMIN)
    return browser


@pytest.fixture
def member(new_client, sink):
    """A browser signed in as a member of the members-only archive (sign in after its mail is ingested)."""
    browser = new_client()
    sign_in(browser, sink, MEMBER)
    return browser
