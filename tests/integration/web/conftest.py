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
