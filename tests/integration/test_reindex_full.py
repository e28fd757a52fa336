"""`replyall reindex --full`: every derived row rebuilt from raw mail; repairs, moderation and old links kept."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from replyall.admin import moderation, repairs
from replyall.cli.common import AppContext
from replyall.cli.reindex import reindex
from replyall.db.models import Archive, Attachment, Message, RawMessage, Thread, ThreadAlias
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain
from replyall.search import search

ADMIN = "admin@archive.example.org"


def _mail(short: str, minute: int, subject: str, parent: str | None = None, body: str = "") -> bytes:
    refs = f"In-Reply-To: <{parent}@x.gov.uk>\r\nReferences: <{parent}@x.gov.uk>\r\n" if parent else ""
    return (
        f"From: Person {short} <{short}@westvale.gov.uk>\r\nTo: comms-network@archive.example.org\r\n"
        f"Message-ID: <{short}@x.gov.uk>\r\n{refs}Subject: {subject}\r\n"
        f"Date: Wed, 18 Nov 2026 10:{minute:02d}:00 +0000\r\n\r\n{body or 'Text of ' + short}\r\n"
    ).encode()


def _by(session, short: str) -> Message:
    return session.scalars(select(Message).where(Message.message_id == f"{short}@x.gov.uk", Message.is_ghost.is_(False))).one()


def _groups(db) -> set[frozenset[str]]:
    with db.reader() as session:
        rows = session.execute(select(Message.thread_id, Message.message_id).where(Message.is_ghost.is_(False))).all()
    out: dict[int, set[str]] = {}
    for thread_id, mid in rows:
        out.setdefault(thread_id, set()).add(mid.split("@")[0])
    return {frozenset(v) for v in out.values()}


def _resolve(session, key: str) -> int | None:
    thread = session.scalars(select(Thread).where(Thread.key == key)).first()
    if thread is not None:
        return thread.id
    alias = session.get(ThreadAlias, key)
    return alias.thread_id if alias else None


def test_full_rebuild_keeps_repairs_moderation_and_every_old_link(db, settings, clock):
    with db.transaction() as session:
        archive_id = session.scalar(select(Archive.id).where(Archive.slug == "comms-network"))
        for data in (
            _mail("a1", 1, "Gritting rota"),
            _mail("a2", 2, "Re: Gritting rota", "a1", body="Depot two is out of salt, volcanoquartz."),
            _mail("a3", 3, "Re: Gritting rota", "a2"),
            _mail("b1", 4, "Winter leaflet"),
            _mail("b2", 5, "Re: Winter leaflet", "b1", body="My phone number is zanzibarquartz, call me."),
            _mail("c1", 6, "Flu clinics"),
        ):
            store_raw(session, archive_id, data, clock=clock, source="import")
    drain(db, settings, clock)
    with db.transaction() as session:
        moderation.set_hidden(session, clock, ADMIN, _by(session, "a2"), True)
        moderation.redact(session, clock, ADMIN, _by(session, "b2"))
        repairs.split(session, clock, ADMIN, _by(session, "a3"))
        c_thread = session.get(Thread, _by(session, "c1").thread_id)
        b_thread = session.get(Thread, _by(session, "b1").thread_id)
        repairs.merge(session, clock, ADMIN, b_thread, c_thread)
    with db.reader() as session:
        keys = {s: session.get(Thread, _by(session, s).thread_id).key for s in ("a1", "a3", "b1", "c1")}
        old_keys = set(session.scalars(select(Thread.key))) | set(session.scalars(select(ThreadAlias.key)))
        redacted_body = _by(session, "b2").body
        messages_before = session.scalar(select(func.count()).select_from(Message))
    before = _groups(db)
    assert before == {frozenset({"a1", "a2"}), frozenset({"a3"}), frozenset({"b1", "b2", "c1"})}

    app = AppContext(None, _settings=settings)
    app.clock = clock
    result = CliRunner().invoke(reindex, ["--full", "--archive", "comms-network"], obj=app, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "comms-network: rebuilt from 6 raw messages (6 done)" in result.output

    assert _groups(db) == before
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == messages_before
        assert set(session.scalars(select(RawMessage.status))) == {"done"}
        hidden, redacted = _by(session, "a2"), _by(session, "b2")
        assert hidden.hidden and not _by(session, "a1").hidden
        assert redacted.redacted and redacted.body == redacted_body and "zanzibarquartz" not in redacted.original
        # Every key that was public still leads to the conversation it showed.
        for short, key in keys.items():
            assert _resolve(session, key) == _by(session, short).thread_id, short
        assert all(_resolve(session, key) is not None for key in old_keys)
        comms = [archive_id]
        assert search(session, "volcanoquartz", archive_ids=comms).total == 0  # hidden stays unfindable
        assert search(session, "zanzibarquartz", archive_ids=comms).total == 0
        assert search(session, "Flu clinics", archive_ids=comms).total == 1
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
