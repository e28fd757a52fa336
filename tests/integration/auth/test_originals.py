"""Originals (.eml, mbox exports, API raw) of a public archive that hides addresses go to signed-in readers only.

The pages show "jane at council.gov.uk" to the public; the bytes as received cannot be
obfuscated, so one anonymous download would undo that for every crawler.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from support.auth import CC_MEMBER, MEMBER, ingest, mail, sign_in
from sqlalchemy import select

from replyall.db.models import Message
from replyall.web.app import create_app

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
FIRST = "gritting-1@council.gov.uk"
PUBLIC = "comms-network@archive.example.org"


@pytest.fixture
def public_thread(db, settings, clock):
    ingest(db, settings, clock, mail(FIRST, to=PUBLIC, subject="Gritting rota", body="Rota attached.\n", date=WHEN),
           slug="comms-network")
    with db.reader() as session:
        first = session.scalars(select(Message).where(Message.message_id == FIRST)).one()
        return {"hash": first.message_id_hash, "key": first.thread.key}


def originals(thread) -> list[str]:
    return [f"/m/{thread['hash']}.eml", f"/t/{thread['key']}.mbox", "/a/comms-network/export.mbox",
            f"/api/v1/messages/{FIRST}/raw"]


def test_anonymous_readers_get_no_originals_and_are_told_why(client, public_thread):
    for path in originals(public_thread):
        response = client.get(path)
        assert response.status_code == 403, path
        assert MEMBER.encode() not in response.content and CC_MEMBER.encode() not in response.content
        assert "Sign in to download" in (response.json()["detail"] if "/api/" in path else response.text)
    # The pages still show the message, addresses hidden, and offer no download links.
    thread = client.get(f"/t/{public_thread['key']}").text
    assert "Rota attached." in thread and MEMBER not in thread and "jane at council.gov.uk" in thread
    assert ".eml" not in thread and ".mbox" not in thread
    assert ".eml" not in client.get(f"/m/{public_thread['hash']}").text
    download = client.get("/a/comms-network/download").text
    assert "Sign in</a> to download the archive" in download and "export.mbox" not in download
    # Attachments and the JSON view stay public (the JSON shows addresses hidden).
    assert client.get(f"/api/v1/messages/{FIRST}").status_code == 200


def test_signed_in_readers_get_the_originals(client, sink, public_thread):
    sign_in(client, sink, MEMBER)
    for path in originals(public_thread):
        response = client.get(path)
        assert response.status_code == 200, path
        assert MEMBER.encode() in response.content  # exactly as received
    assert f"/m/{public_thread['hash']}.eml" in client.get(f"/t/{public_thread['key']}").text


def test_an_archive_that_shows_addresses_serves_originals_to_everyone(db, clock, db_url, settings_factory):
    settings = settings_factory(db_url, web={"obfuscate_addresses": False})
    ingest(db, settings, clock, mail(FIRST, to=PUBLIC, subject="Gritting rota", date=WHEN), slug="comms-network")
    with db.reader() as session:
        first = session.scalars(select(Message).where(Message.message_id == FIRST)).one()
        thread = {"hash": first.message_id_hash, "key": first.thread.key}
    with TestClient(create_app(settings, db, clock), base_url="http://archive.test") as client:
        for path in originals(thread):
            assert client.get(path).status_code == 200, path
        assert f"/m/{thread['hash']}.eml" in client.get(f"/t/{thread['key']}").text
