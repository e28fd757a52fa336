"""Administration: hide, redact and erase (with the search afterwards), failed mail and retry, CSRF, audit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.auth import ADMIN, SECRET, csrf_of, flood_thread, mail, moderate
from click.testing import CliRunner
from sqlalchemy import inspect, select, text

from replyall.cli.common import AppContext
from replyall.cli.reindex import reindex
from replyall.db.models import AuditEntry, Message, RawMessage
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain
from replyall.search import search

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
FIRST, REPLY = "flood-1@council.gov.uk", "flood-2@nhs-trust.nhs.uk"


@pytest.fixture
def thread(db, settings, clock):
    return flood_thread(db, settings, clock, FIRST, REPLY, WHEN)


def act(browser, thread, action: str, **data):
    return moderate(browser, thread["hash"], action, **data)


def hits(db, words: str) -> int:
    with db.reader() as session:
        return search(session, words, archive_ids=None).total


def tables_containing(db, needle: str) -> set[str]:
    """Every table (search index, its shadow tables and raw copies included) holding `needle` in any column."""
    found = set()
    with db.reader() as session:
        for table in inspect(session.get_bind()).get_table_names():
            for row in session.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    value = bytes(value) if isinstance(value, memoryview) else value
                    as_text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    if needle in as_text:
                        found.add(table)
    return found


def test_hide_and_show_again(db, thread, admin, member):
    assert hits(db, SECRET) == 1
    assert act(admin, thread, "hide").status_code == 303
    page = member.get(f"/m/{thread['hash']}")
    assert SECRET not in page.text
    assert member.get(f"/m/{thread['hash']}.eml").status_code == 404
    assert member.get(f"/m/{thread['hash']}/attachments/0").status_code == 404
    assert hits(db, SECRET) == 0
    assert act(admin, thread, "unhide").status_code == 303
    assert SECRET in member.get(f"/m/{thread['hash']}").text
    assert hits(db, SECRET) == 1
    with db.reader() as session:
        actions = [(e.actor, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [(ADMIN, "hide"), (ADMIN, "unhide")]


def test_redact_replaces_every_part_and_survives_reindex(db, settings, clock, thread, admin, member):
    assert act(admin, thread, "redact", subject="yes").status_code == 303
    page = member.get(f"/m/{thread['hash']}")
    assert page.status_code == 200
    assert "removed by the archive" in page.text and "[redacted]" in page.text
    assert SECRET not in page.text
    assert SECRET not in member.get(f"/m/{thread['hash']}.eml").text
    assert member.get(f"/m/{thread['hash']}/attachments/0").status_code == 404
    assert SECRET not in member.get(f"/api/v1/messages/{FIRST}").text
    assert hits(db, SECRET) == 0
    with db.reader() as session:
        raw = session.get(RawMessage, thread["raw_id"])
        assert SECRET.encode() not in raw.raw and FIRST.encode() in raw.raw  # still threadable
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action, entry.target) == (ADMIN, "redact", f"message:{thread['hash']}")
        assert SECRET not in str(entry.detail)
        message = session.scalars(select(Message).where(Message.message_id == FIRST)).one()
        assert message.redacted and message.subject == "[redacted]"
    app = AppContext(None, _settings=settings)
    app.clock = clock
    result = CliRunner().invoke(reindex, [], obj=app, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert SECRET not in member.get(f"/m/{thread['hash']}").text
    assert hits(db, SECRET) == 0


def test_erase_leaves_nothing_anywhere(db, thread, admin, member):
    assert "raw_messages" in tables_containing(db, SECRET)
    response = act(admin, thread, "erase", confirm="yes")
    assert response.status_code == 303
    assert hits(db, SECRET) == 0
    assert tables_containing(db, SECRET) == set()
    with db.reader() as session:
        tombstone = session.get(RawMessage, thread["raw_id"])  # only the Message-ID's hash is kept
        assert (tombstone.status, tombstone.raw, tombstone.message_id, tombstone.envelope_to) == ("erased", b"", "", [])
        assert all(SECRET.encode() not in r for r in session.scalars(select(RawMessage.raw)))
        # The reply keeps its place under a content-free placeholder.
        placeholder = session.scalars(select(Message).where(Message.message_id == FIRST)).one()
        assert placeholder.is_ghost and placeholder.raw_id is None and placeholder.body == ""
        reply = session.scalars(select(Message).where(Message.message_id == REPLY)).one()
        assert reply.parent_id == placeholder.id and reply.thread_id == placeholder.thread_id
        assert session.scalars(select(AuditEntry.action)).all() == ["erase"]
    assert member.get(f"/m/{thread['hash']}.eml").status_code == 404
    assert member.get(f"/t/{thread['key']}").status_code == 200


def test_erased_mail_does_not_come_back_with_a_late_copy_or_a_full_reindex(db, settings, clock, thread, admin):
    assert act(admin, thread, "erase", confirm="yes").status_code == 303
    late_copy = mail(FIRST, date=WHEN, attachment=("figures.txt", f"{SECRET} table".encode()))
    with db.transaction() as session:
        archive_id = session.scalar(text("SELECT id FROM archives WHERE slug = 'private-list'"))
        stored = store_raw(session, archive_id, late_copy, clock=clock, source="smtp")
    assert stored.raw_id == thread["raw_id"] and stored.duplicate  # counted against the tombstone
    drain(db, settings, clock)
    app = AppContext(None, _settings=settings)
    app.clock = clock
    result = CliRunner().invoke(reindex, ["--full"], obj=app, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert hits(db, SECRET) == 0
    assert tables_containing(db, SECRET) == set()
    with db.reader() as session:
        assert session.get(RawMessage, thread["raw_id"]).status == "erased"
        placeholder = session.scalars(select(Message).where(Message.message_id == FIRST)).one()
        assert placeholder.is_ghost and placeholder.body == ""


def test_erase_needs_the_confirmation_box(db, thread, admin):
    assert act(admin, thread, "erase").status_code == 400
    assert hits(db, SECRET) == 1


def test_forms_need_a_csrf_token(db, thread, admin):
    response = admin.post(f"/admin/private-list/m/{thread['hash']}/hide", data={}, follow_redirects=False)
    assert response.status_code == 403
    # A token from another browser's session is no good either.
    other = admin.get(f"/admin/private-list/m/{thread['hash']}").text
    admin.cookies.clear()
    response = admin.post(f"/admin/private-list/m/{thread['hash']}/hide", data={"csrf_token": csrf_of(other)})
    assert response.status_code in (403, 404)
    assert hits(db, SECRET) == 1


def test_members_cannot_administer(db, thread, member):
    page = member.get("/me")
    response = member.post(
        f"/admin/private-list/m/{thread['hash']}/hide", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 404
    assert hits(db, SECRET) == 1


def test_failed_messages_are_listed_with_their_reason_and_can_be_retried(db, settings, clock, admin):
    data = mail("stuck-1@council.gov.uk", date=WHEN)
    with db.transaction() as session:
        archive_id = session.scalar(text("SELECT id FROM archives WHERE slug = 'private-list'"))
        stored = store_raw(session, archive_id, data, clock=clock, source="smtp")
        raw = session.get(RawMessage, stored.raw_id)
        # What the runner records when a step crashes (pipeline.runner.process).
        raw.status, raw.attempts, raw.error = "failed", 5, "store: OperationalError: database is locked"
    page = admin.get("/admin/failed")
    assert page.status_code == 200
    assert "stuck-1@council.gov.uk" in page.text and "database is locked" in page.text
    response = admin.post(f"/admin/failed/{stored.raw_id}/retry", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert drain(db, settings, clock)["done"] == 1
    with db.reader() as session:
        assert session.get(RawMessage, stored.raw_id).status == "done"
        assert session.scalars(select(AuditEntry.action)).all() == ["retry"]
    assert "stuck-1@council.gov.uk" not in admin.get("/admin/failed").text


def test_audit_page_lists_who_did_what(db, thread, admin):
    act(admin, thread, "hide")
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    assert ADMIN in page.text and "hide" in page.text and f"message:{thread['hash']}" in page.text
