"""Hostile mail through intake, pipeline and web: nothing escapes, raw kept byte for byte, failures have a reason."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings
from lxml import etree
from mimefuzz import MID, hostile_message
from sqlalchemy import func, select

from support import intake as intake_support  # the intake suite's live SMTP listener

from replyall.db.models import Archive, Message, RawMessage, Thread
from replyall.intake.store import message_id_of, store_raw
from replyall.pipeline.runner import drain
from replyall.web.app import create_app

TESTS = Path(__file__).parents[1]
TRICKY = TESTS / "data" / "tricky"
NOT_MAIL = {"README.md", "UPSTREAM-README.txt", "LICENSE-NOTE.txt", "index.json"}


FUZZ = dict(deadline=None, derandomize=False, print_blob=True,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                   HealthCheck.data_too_large, HealthCheck.large_base_example])


@pytest.fixture
def web(settings, db, clock, db_url, settings_factory):
    # Addresses shown to everyone, so that the original (.eml) is public and checked too
    # (where they are hidden, originals need a signed-in reader: web.access.check_originals).
    shown = settings_factory(db_url, web={"obfuscate_addresses": False})
    with TestClient(create_app(shown, db, clock), base_url="http://archive.test") as client:
        yield client


def archive_id(db, slug: str = "comms-network") -> int:
    with db.reader() as session:
        return session.scalar(select(Archive.id).where(Archive.slug == slug))


def fresh(raw: bytes) -> tuple[bytes, str]:
    mid = f"{uuid.uuid4().hex}@fuzz.test"
    return raw.replace(MID, mid.encode()), mid


def check_outcome(db, web, raw_id: int, data: bytes, *, feed: bool = True) -> str:
    """The invariants every message must meet once the worker has had it."""
    with db.reader() as session:
        row = session.get(RawMessage, raw_id)
        messages = list(session.scalars(select(Message).where(Message.raw_id == raw_id)))
        thread_keys = [session.scalar(select(Thread.key).where(Thread.id == m.thread_id)) for m in messages]
    assert row.raw == data  # byte for byte, whatever happened next
    assert row.size == len(data)
    assert row.status in ("done", "discarded", "failed"), row.status
    if row.status == "failed":
        assert row.error and row.error.strip(), "a failed message must say why"
    if row.status == "done":
        assert len(messages) == 1
        # Whatever the parser made of it, the archive shows it: no 500 on its pages or the feed.
        assert web.get(f"/m/{messages[0].message_id_hash}").status_code == 200
        assert web.get(f"/m/{messages[0].message_id_hash}.eml").content == data
        assert web.get(f"/t/{thread_keys[0]}").status_code == 200
    if feed:
        response = web.get("/a/comms-network/feed.atom")
        assert response.status_code == 200
        etree.fromstring(response.content)  # control characters in subjects must not break the XML
    return row.status


def through_store_and_pipeline(db, settings, clock, web, raw: bytes) -> None:
    data, _mid = fresh(raw)
    with db.transaction() as session:
        stored = store_raw(session, archive_id(db), data, clock=clock, source="import")
    drain(db, settings, clock)  # must not raise, whatever the bytes
    check_outcome(db, web, stored.raw_id, data)


@pytest.mark.timeout(1200)
@hsettings(max_examples=40, **FUZZ)
@given(raw=hostile_message())
def test_hostile_mime_through_store_and_pipeline(db, settings, clock, web, raw):
    through_store_and_pipeline(db, settings, clock, web, raw)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@hsettings(max_examples=1000, **FUZZ)
@given(raw=hostile_message())
def test_hostile_mime_through_store_and_pipeline_long(db, settings, clock, web, raw):
    through_store_and_pipeline(db, settings, clock, web, raw)


@pytest.fixture
def live(db, settings, settings_factory, clock):
    # Hypothesis may run hundreds of examples a minute while shrinking: not a rate-limit test.
    fast = settings_factory(settings.database.url, smtp={"connections_per_minute": 100_000})
    server = intake_support.LiveServer(fast, db, clock)
    yield server
    server.close()


@pytest.mark.timeout(1200)
@hsettings(max_examples=15, **FUZZ)
@given(raw=hostile_message())
def test_hostile_mime_over_real_smtp(db, settings, clock, web, live, raw):
    data, _mid = fresh(raw)
    assert live.send(data, sender="fuzz@sender.test") == {}
    # smtplib ends DATA with CRLF: a message not ending in one gains it on the wire, nothing else changes.
    sent = data if data.endswith(b"\r\n") else data + b"\r\n"
    # Broken headers can hide our Message-ID (a bare CR ends the header block for the parser):
    # the key is whatever intake derives from the bytes as they arrived.
    key, _derived = message_id_of(sent)
    with db.reader() as session:
        raw_id = session.scalar(select(RawMessage.id).where(RawMessage.message_id == key))
    assert raw_id is not None, "250 given but nothing stored under the Message-ID"
    drain(db, settings, clock)
    check_outcome(db, web, raw_id, sent)


# SQLite only: the intake suite already drains the corpus on both databases (statuses, reasons).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.timeout(900)
def test_every_tricky_message_archives_renders_and_keeps_its_bytes(db, settings, clock, web):
    """The intake suite proves SMTP acceptance of tests/data/tricky; here: what the archive makes of it."""
    files = sorted(p for p in TRICKY.rglob("*") if p.is_file() and p.name not in NOT_MAIL)
    assert len(files) > 200
    first: dict[int, bytes] = {}
    with db.transaction() as session:
        for path in files:
            data = path.read_bytes()
            stored = store_raw(session, archive_id(db), data, clock=clock, source="import")
            first.setdefault(stored.raw_id, data)
    drain(db, settings, clock)
    statuses = Counter(check_outcome(db, web, raw_id, data, feed=False) for raw_id, data in first.items())
    for page in ("/a/comms-network/feed.atom", *(f"/a/comms-network/feed.atom?page={n}" for n in range(2, 12))):
        etree.fromstring(web.get(page).content)
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(RawMessage).where(RawMessage.status == "pending")) == 0
    assert statuses["done"] >= len(first) * 0.8, statuses
    for query in ("meeting", "the", "réunion", "<script>", '"unterminated'):
        assert web.get("/a/comms-network/search", params={"q": query}).status_code in (200, 400), query
