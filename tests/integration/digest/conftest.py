"""Digest fixtures: a real SMTP sink as the relay, settings pointing at it, subscribers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.relay import Sink


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.close()


@pytest.fixture
def settings(db_url, sink, settings_factory):
    return settings_factory(
        db_url, relay={"host": "127.0.0.1", "port": sink.port, "from_address": "summary@archive.example.org", "timeout": 10},
    )
