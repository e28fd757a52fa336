"""Thread repair: move, split and merge hold against later replies and against rebuilding from raw mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.auth import ADMIN, PUBLIC, csrf_of, ingest, mail, sign_in
from click.testing import CliRunner
from sqlalchemy import delete, select, text, update

from replyall.cli.common import AppContext
from replyall.cli.reindex import reindex
from replyall.db.models import (
    ArchiveMember, Attachment, AuditEntry, Message, RawMessage, Thread, ThreadAlias, ThreadParticipant,
)
from replyall.pipeline.runner import drain

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def _m(mid: str, n: int, *, subject: str, parent: str | None = None, refs: list[str] | None = None) -> bytes:
    return mail(f"{mid}@x.gov.uk", to=PUBLIC, cc="", sender=f"person{n}@x.gov.uk", subject=subject,
                body=f"Message {mid} says something about {subject.lower()}.\n", date=T0 + timedelta(hours=n),
                parent=f"{parent}@x.gov.uk" if parent else None,
                references=[f"{r}@x.gov.uk" for r in refs] if refs else None)


@pytest.fixture
def threads(db, settings, clock):
    ingest(db, settings, clock,
           _m("a1", 1, subject="Gritting rota"),
           _m("a2", 2, subject="Re: Gritting rota", parent="a1"),
           _m("a3", 3, subject="Re: Gritting rota", parent="a2", refs=["a1", "a2"]),
           _m("b1", 4, subject="Press office cover"),
           _m("b2", 5, subject="Re: Press office cover", parent="b1"),
           slug="comms-network")


@pytest.fixture
def admin(client, sink, db, settings, clock):
    # The administrator needs no mail of their own in an archive to sign in.
    sign_in(client, sink, ADMIN)
    return client


def groups(db) -> set[frozenset[str]]:
    """The conversations as sets of Message-IDs (placeholders left out)."""
    with db.reader() as session:
        rows = session.execute(select(Message.thread_id, Message.message_id).where(Message.is_ghost.is_(False))).all()
    out: dict[int, set[str]] = {}
    for thread_id, mid in rows:
        out.setdefault(thread_id, set()).add(mid.split("@")[0])
    return {frozenset(v) for v in out.values()}


def info(db, short: str) -> tuple[str, str]:
    with db.reader() as session:
        m = session.scalars(select(Message).where(Message.message_id == f"{short}@x.gov.uk")).one()
        return m.message_id_hash, session.get(Thread, m.thread_id).key


def admin_post(admin, page: str, action: str, **data):
    form = admin.get(page)
    assert form.status_code == 200, form.text
    return admin.post(action, data={"csrf_token": csrf_of(form.text), **data}, follow_redirects=False)


def move(admin, db, short: str, target_short: str):
    mid_hash, _ = info(db, short)
    _, target_key = info(db, target_short)
    page = f"/admin/comms-network/m/{mid_hash}"
    # Pasting the thread's whole address works as well as the bare key.
    return admin_post(admin, page, f"{page}/move", target=f"http://archive.test/t/{target_key}")


def split(admin, db, short: str):
    mid_hash, _ = info(db, short)
    page = f"/admin/comms-network/m/{mid_hash}"
    return admin_post(admin, page, f"{page}/split")


def merge(admin, db, a: str, b: str):
    _, key_a = info(db, a)
    _, key_b = info(db, b)
    return admin_post(admin, f"/admin/t/{key_a}", f"/admin/t/{key_a}/merge", target=key_b)


def rebuild_from_raw(db, settings, clock) -> None:
    """Throw every derived row away and run the pipeline over the raw mail again."""
    with db.transaction() as session:
        session.execute(text("DELETE FROM search_fts"))
        session.execute(delete(Attachment))
        session.execute(update(Message).values(parent_id=None, duplicate_of_id=None))
        session.execute(delete(Message))
        for model in (ThreadAlias, ThreadParticipant, Thread, ArchiveMember):
            session.execute(delete(model))
        session.execute(update(RawMessage).values(status="pending", attempts=0, error=None))
    drain(db, settings, clock)


def run_reindex(settings, clock, *args: str) -> None:
    app = AppContext(None, _settings=settings)
    app.clock = clock
    result = CliRunner().invoke(reindex, list(args), obj=app, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_move_a_message_and_a_later_reply_follows_it(db, settings, clock, threads, admin):
    assert groups(db) == {frozenset({"a1", "a2", "a3"}), frozenset({"b1", "b2"})}
    assert move(admin, db, "a3", "b1").status_code == 303
    assert groups(db) == {frozenset({"a1", "a2"}), frozenset({"b1", "b2", "a3"})}
    # A reply to a3 carries References a1 a2 a3: it must not glue the two conversations back together.
    ingest(db, settings, clock, _m("a4", 6, subject="Re: Gritting rota", parent="a3", refs=["a1", "a2", "a3"]),
           slug="comms-network")
    assert groups(db) == {frozenset({"a1", "a2"}), frozenset({"b1", "b2", "a3", "a4"})}
    with db.reader() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["move"]
    # The history says where it went, with a link there.
    _, b_key = info(db, "b1")
    history = admin.get(f"/admin/comms-network/m/{info(db, 'a3')[0]}").text
    assert f'to <a href="/admin/t/{b_key}">conversation {b_key}</a>' in history


def test_split_a_thread_at_a_message(db, settings, clock, threads, admin):
    assert split(admin, db, "a2").status_code == 303
    assert groups(db) == {frozenset({"a1"}), frozenset({"a2", "a3"}), frozenset({"b1", "b2"})}
    ingest(db, settings, clock, _m("a4", 6, subject="Re: Gritting rota", parent="a3", refs=["a1", "a2", "a3"]),
           slug="comms-network")
    assert groups(db) == {frozenset({"a1"}), frozenset({"a2", "a3", "a4"}), frozenset({"b1", "b2"})}
    # Splitting at a conversation's first message changes nothing and says why.
    response = split(admin, db, "a1")
    assert response.status_code == 400 and "already a conversation of its own" in response.text


def test_merge_two_threads_and_old_links_still_work(db, settings, clock, threads, admin):
    _, old_b = info(db, "b1")
    assert merge(admin, db, "b1", "a1").status_code == 303
    assert groups(db) == {frozenset({"a1", "a2", "a3", "b1", "b2"})}
    _, kept = info(db, "b1")
    assert admin.get(f"/t/{old_b}", follow_redirects=False).status_code in (200, 301, 302, 307, 308)
    assert admin.get(f"/admin/t/{old_b}").status_code == 200
    with db.reader() as session:
        assert session.get(Thread, session.scalar(select(Thread.id).where(Thread.key == kept))).message_count == 5


def test_why_each_message_joined_its_thread(db, settings, clock, threads, admin):
    move(admin, db, "a3", "b1")
    _, key = info(db, "b1")
    page = admin.get(f"/admin/t/{key}")
    assert page.status_code == 200
    # b2 joined by its reply headers; a3 because an administrator moved it, and who did.
    assert "reply headers" in page.text and "move by " + ADMIN in page.text


@pytest.mark.parametrize("rebuild", ["reindex command", "reindex --full", "rebuild from raw"])
def test_repairs_survive_reindex(db, settings, clock, threads, admin, rebuild):
    ingest(db, settings, clock,
           _m("c1", 7, subject="Winter leaflet"),
           _m("c2", 8, subject="Re: Winter leaflet", parent="c1"),
           _m("c3", 9, subject="Re: Winter leaflet", parent="c2", refs=["c1", "c2"]),
           slug="comms-network")
    assert move(admin, db, "a3", "b1").status_code == 303          # a3 joins b
    assert split(admin, db, "c2").status_code == 303               # c2, c3 leave c1
    assert merge(admin, db, "c1", "a1").status_code == 303         # c1 and what is left of a
    expected = {frozenset({"a1", "a2", "c1"}), frozenset({"b1", "b2", "a3"}), frozenset({"c2", "c3"})}
    assert groups(db) == expected
    if rebuild == "reindex command":
        run_reindex(settings, clock)
    elif rebuild == "reindex --full":
        run_reindex(settings, clock, "--full")
    else:
        rebuild_from_raw(db, settings, clock)
    assert groups(db) == expected
    # And the next reply still goes where the repair says.
    ingest(db, settings, clock, _m("c4", 10, subject="Re: Winter leaflet", parent="c3", refs=["c1", "c2", "c3"]),
           slug="comms-network")
    assert frozenset({"c2", "c3", "c4"}) in groups(db)
