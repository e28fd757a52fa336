"""Shared helpers for the mail unit tests: fixture paths and a parsed-fixture loader."""

import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"

try:  # the package is normally installed (pip install -e .); a bare checkout still runs
    import replyall  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))


@pytest.fixture
def fixture_bytes():
    def load(name: str) -> bytes:
        return (DATA / "mail" / name).read_bytes()

    return load


@pytest.fixture
def parsed(fixture_bytes):
    from replyall.mail.mime import parse_message

    def load(name: str):
        return parse_message(fixture_bytes(name))

    return load
