"""A real SMTP listener on 127.0.0.1 (port 0), run in its own event-loop thread, driven by smtplib."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from support.intake import LiveServer


@pytest.fixture
def live_factory(db, clock) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def make(settings, **kwargs) -> LiveServer:
        server = LiveServer(settings, db, clock, **kwargs)
        started.append(server)
        return server

    yield make
    for server in started:
        server.close()


@pytest.fixture
def live(live_factory, settings) -> LiveServer:
    return live_factory(settings)


