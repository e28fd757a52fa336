"""Fixtures for the web tests: the real app over the per-test database, driven in-process."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from replyall.web.app import create_app


@pytest.fixture
def app(settings, db, clock):
    return create_app(settings, db, clock)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://archive.test") as c:
        yield c


@pytest.fixture
def open_client(db, clock, db_url, settings_factory):
    """A deployment that shows addresses to everyone (web.obfuscate_addresses = false):
    there the originals (.eml, mbox, API raw) are public too (web.access.check_originals)."""
    settings = settings_factory(db_url, web={"obfuscate_addresses": False})
    with TestClient(create_app(settings, db, clock), base_url="http://archive.test") as c:
        yield c
