"""Who may read a members-only archive: addresses seen in its mail, allow and block lists, never the list itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.auth import ADMIN, CC_MEMBER, MEMBER, OUTSIDER, PRIVATE, csrf_of, ingest, mail, sign_in
from sqlalchemy import select

from replyall.db import migrate
from replyall.db.models import Archive, ArchiveMember, Message, RawMessage
from replyall.intake.store import store_raw
from replyall.members import may_read, may_sign_in, readable_archive_ids
from replyall.pipeline.runner import drain

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[2] / "data" / "mail"


def _members(db) -> dict[str, tuple[datetime | None, datetime | None]]:
    with db.reader() as session:
        archive_id = session.scalar(select(Archive.id).where(Archive.slug == "private-list"))
        rows = session.scalars(select(ArchiveMember).where(ArchiveMember.archive_id == archive_id))
        return {r.address: (r.first_seen, r.last_seen) for r in rows}


def test_members_are_learned_from_from_to_and_cc_in_any_order(db, settings, clock):
    ingest(db, settings, clock, mail("m2@council.gov.uk", date=WHEN + timedelta(days=2), cc="Sam <SAM@nhs-trust.nhs.uk>"))
    ingest(db, settings, clock, mail("m1@council.gov.uk", date=WHEN, cc="", to=f"{PRIVATE}, pat@police.uk"))
    members = _members(db)
    assert set(members) == {MEMBER, CC_MEMBER, "pat@police.uk", PRIVATE}
    # The window widens backwards when older mail arrives later (imports).
    assert members[MEMBER] == (WHEN, WHEN + timedelta(days=2))
    assert members[CC_MEMBER] == (WHEN + timedelta(days=2), WHEN + timedelta(days=2))


def _read(db, settings, address) -> bool:
    with db.reader() as session:
        archive = session.scalars(select(Archive).where(Archive.slug == "private-list")).one()
        return may_read(session, settings, archive, address)


def test_rules(db, settings_factory, settings, clock, db_url):
    ingest(db, settings, clock, mail("m1@council.gov.uk", date=WHEN))
    archives = [a.model_dump() for a in settings.archives]
    archives[1].update(allow=["@nhs.net", "press@police.uk"], block=[CC_MEMBER, "@blocked.gov.uk"])
    ruled = settings_factory(db_url, archives=archives, auth={"admins": [ADMIN]})
    assert _read(db, ruled, MEMBER) and _read(db, ruled, MEMBER.upper())
    assert not _read(db, ruled, CC_MEMBER)  # seen in Cc, but blocked
    assert _read(db, ruled, "anyone@nhs.net") and _read(db, ruled, "x@trust.nhs.net")
    assert not _read(db, ruled, "anyone@notnhs.net")
    assert _read(db, ruled, "press@police.uk") and not _read(db, ruled, "other@police.uk")
    assert _read(db, ruled, ADMIN)
    assert not _read(db, ruled, PRIVATE) and not _read(db, ruled, "private-alias@archive.example.org")
    assert not _read(db, ruled, None) and not _read(db, ruled, "")
    with db.reader() as session:
        public = session.scalar(select(Archive.id).where(Archive.slug == "comms-network"))
        private = session.scalar(select(Archive.id).where(Archive.slug == "private-list"))
        assert readable_archive_ids(session, ruled, None) == {public}
        assert readable_archive_ids(session, ruled, MEMBER) == {public, private}
        assert readable_archive_ids(session, ruled, CC_MEMBER) == {public}
        assert may_sign_in(session, ruled, "anyone@nhs.net") and not may_sign_in(session, ruled, OUTSIDER)
        assert not may_sign_in(session, ruled, PRIVATE)


def test_allowed_domain_signs_in_and_blocked_member_gets_nothing(settings_factory, db_url, db, clock, sink, new_client):
    base = settings_factory(db_url)
    archives = [a.model_dump() for a in base.archives]
    archives[1].update(allow=["@nhs.net"], block=[CC_MEMBER])
    settings = settings_factory(db_url, archives=archives, relay={"host": "127.0.0.1", "port": sink.port})
    ingest(db, settings, clock, mail("m1@council.gov.uk", date=WHEN))
    from fastapi.testclient import TestClient

    from replyall.web.app import create_app

    with TestClient(create_app(settings, db, clock), base_url="http://archive.test") as client:
        sign_in(client, sink, "newcomer@nhs.net")
        assert client.get("/a/private-list").status_code == 200
    with TestClient(create_app(settings, db, clock), base_url="http://archive.test") as blocked:
        page = blocked.get("/login")
        blocked.post("/login", data={"csrf_token": csrf_of(page.text), "address": CC_MEMBER})
        assert sink.mail_to(CC_MEMBER) == []


@pytest.mark.parametrize("fixture", ["x-no-archive.eml", "archive-no.eml"])
def test_no_archive_mail_is_accepted_kept_raw_and_not_archived(db, settings, clock, fixture):
    data = (DATA / fixture).read_bytes()
    with db.transaction() as session:
        archive_id = session.scalar(select(Archive.id).where(Archive.slug == "private-list"))
        stored = store_raw(session, archive_id, data, clock=clock, source="smtp")
    assert drain(db, settings, clock)["discarded"] == 1
    with db.reader() as session:
        raw = session.get(RawMessage, stored.raw_id)
        assert raw.status == "discarded" and raw.raw == data
        assert "X-No-Archive" in raw.error
        assert session.scalars(select(Message)).all() == []
    # Its sender did not become a member by it.
    assert "alice@example.com" not in _members(db)


def test_migration_backfills_members_from_archived_mail(db_url, db, settings, clock):
    ingest(db, settings, clock, mail("m1@council.gov.uk", date=WHEN))
    before = _members(db)
    assert MEMBER in before
    db.engine.dispose()
    migrate.downgrade(db_url, "0002")
    migrate.upgrade(db_url, "head")
    assert _members(db) == before
