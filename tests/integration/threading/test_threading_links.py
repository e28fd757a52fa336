"""Threading through the real pipeline on SQLite and PostgreSQL: ghosts, merges, cycles, dodgy headers, Thread-Index."""

from __future__ import annotations

from sqlalchemy import select
from thread_helpers import feed, groups, make, rows_by_mid, snapshot, threads

from replyall.db.models import Message, Thread, ThreadAlias, ThreadParticipant
from replyall.db.queries import resolve_thread_key, thread_tree


def test_reply_before_parent_forms_the_thread_on_a_ghost_and_the_parent_takes_its_place(db, settings, clock):
    feed(db, settings, clock, [make("b@x", subject="Re: Road closures", minutes=5, in_reply_to="<a@x>", references="<a@x>")])
    ghost = rows_by_mid(db)["a@x"]
    assert ghost.is_ghost and ghost.raw_id is None and ghost.thread_reason == "ghost"
    reply = rows_by_mid(db)["b@x"]
    assert reply.parent_id == ghost.id and reply.thread_id == ghost.thread_id
    assert threads(db)[0].message_count == 1

    feed(db, settings, clock, [make("a@x")])
    parent = rows_by_mid(db)["a@x"]
    assert parent.id == ghost.id  # the same row: links made before it arrived still hold
    assert not parent.is_ghost and parent.raw_id is not None
    (thread,) = threads(db)
    assert thread.message_count == 2 and thread.participant_count == 1
    assert snapshot(db)["b@x"][0] == "a@x"


def test_message_linking_two_threads_merges_them_and_the_old_key_still_resolves(db, settings, clock):
    feed(db, settings, clock, [
        make("root@x", minutes=0, sender="alice@a.gov.uk"),
        # Replies to a message we do not have yet: a second thread, on a ghost.
        make("r2@x", subject="Re: Road closures", minutes=30, sender="carol@c.gov.uk", in_reply_to="<mid@x>", references="<mid@x>"),
    ])
    before = {t.key: t.id for t in threads(db)}
    assert len(before) == 2
    older_key = rows_and_keys(db)["root@x"]
    younger_key = rows_and_keys(db)["r2@x"]
    feed(db, settings, clock, [
        make("mid@x", subject="Re: Road closures", minutes=10, sender="bob@b.gov.uk", in_reply_to="<root@x>", references="<root@x>"),
    ])
    (thread,) = threads(db)
    assert thread.key == older_key  # the older thread survives
    assert thread.message_count == 3 and thread.participant_count == 3
    with db.reader() as session:
        assert session.get(ThreadAlias, younger_key).thread_id == thread.id
        assert resolve_thread_key(session, younger_key).id == thread.id
        assert resolve_thread_key(session, older_key).id == thread.id
        assert resolve_thread_key(session, "nosuchkey") is None
        addresses = set(session.scalars(select(ThreadParticipant.address).where(ThreadParticipant.thread_id == thread.id)))
    assert {"alice@a.gov.uk", "bob@b.gov.uk", "carol@c.gov.uk"} <= addresses
    assert snapshot(db)["r2@x"][0] == "mid@x" and snapshot(db)["mid@x"][0] == "root@x"


def rows_and_keys(db) -> dict[str, str]:
    with db.reader() as session:
        return {m.message_id: session.get(Thread, m.thread_id).key for m in session.scalars(select(Message))}


def test_reference_loop_is_refused_and_both_stay_in_one_thread(db, settings, clock):
    feed(db, settings, clock, [
        make("loop1@x", subject="Re: loop", minutes=0, in_reply_to="<loop2@x>", references="<loop2@x>"),
        make("loop2@x", subject="Re: loop", minutes=5, in_reply_to="<loop1@x>", references="<loop1@x>"),
    ])
    assert groups(db) == {frozenset({"loop1@x", "loop2@x"})}
    rows = rows_by_mid(db)
    by_id = {m.id: m for m in rows.values()}
    for m in rows.values():  # walking up from any message ends at a root
        seen = set()
        while m is not None:
            assert m.id not in seen
            seen.add(m.id)
            m = by_id.get(m.parent_id)
    with db.reader() as session:
        tree = thread_tree(session, rows["loop1@x"].thread_id)
    assert sorted(m.message_id for m, _ in tree) == ["loop1@x", "loop2@x"]


def test_dodgy_in_reply_to_with_an_address_uses_references(db, settings, clock):
    feed(db, settings, clock, [
        make("root@x", sender="joe@x.gov.uk"),
        make("other@x", minutes=1, subject="Unrelated", sender="ann@y.gov.uk"),
        make(
            "reply@x", subject="Re: Road closures", minutes=5,
            in_reply_to="message from Joe <joe@x.gov.uk> of Mon, 2 Nov", references="<other@x> <root@x>",
        ),
    ])
    assert snapshot(db)["reply@x"][0] == "root@x"
    assert rows_by_mid(db)["reply@x"].thread_reason == "references"
    # The address was not taken for a Message-ID: no ghost for it.
    assert not any(m.is_ghost for m in rows_by_mid(db).values())


def test_in_reply_to_only_records_its_reason(db, settings, clock):
    feed(db, settings, clock, [make("p@x"), make("c@x", subject="Re: Road closures", minutes=3, in_reply_to="<p@x>")])
    assert rows_by_mid(db)["c@x"].thread_reason == "in-reply-to"
    assert rows_by_mid(db)["p@x"].thread_reason == "new"


ROOT_TI = bytes.fromhex("01d7a1b2c3d4") + bytes(range(16))


def test_thread_index_child_before_and_after_parent(db, settings, clock):
    child_ti = ROOT_TI + b"\x00\x00\x01\x02\x03"
    grand_ti = child_ti + b"\x00\x00\x04\x05\x06"
    # Outlook clients without References: only Thread-Index ties them together.
    feed(db, settings, clock, [
        make("grand@x", subject="RE: Budget", minutes=20, sender="c@c.nhs.uk", thread_index=grand_ti, thread_topic="Budget"),
        make("root@x", subject="Budget", minutes=0, sender="a@a.nhs.uk", thread_index=ROOT_TI, thread_topic="Budget"),
        make("child@x", subject="RE: Budget", minutes=10, sender="b@b.nhs.uk", thread_index=child_ti, thread_topic="Budget"),
    ])
    snap = snapshot(db)
    assert snap["grand@x"][0] == "child@x" and snap["child@x"][0] == "root@x" and snap["root@x"][0] is None
    assert groups(db) == {frozenset({"root@x", "child@x", "grand@x"})}
    rows = rows_by_mid(db)
    assert rows["grand@x"].thread_reason == "thread-index" and rows["child@x"].thread_reason == "thread-index"
    assert rows["root@x"].conversation_key == ROOT_TI.hex()
    assert threads(db)[0].message_count == 3


def test_thread_index_does_not_override_references(db, settings, clock):
    other_ti = bytes(22)
    feed(db, settings, clock, [
        make("a@x", subject="Budget"),
        make("z@x", subject="Other", minutes=1, thread_index=other_ti),
        make("b@x", subject="RE: Budget", minutes=2, references="<a@x>", thread_index=other_ti + b"\x00\x00\x00\x00\x01"),
    ])
    assert snapshot(db)["b@x"][0] == "a@x"


def test_thread_tree_is_in_conversation_order_with_ghosts_pruned(db, settings, clock):
    feed(db, settings, clock, [
        make("r@x", minutes=0),
        make("b@x", subject="Re: Road closures", minutes=20, references="<r@x>"),
        make("a@x", subject="Re: Road closures", minutes=10, references="<r@x>"),
        make("a1@x", subject="Re: Road closures", minutes=15, references="<r@x> <a@x>"),
        # Its parent never arrives: the ghost has one child, so the child shows in its place.
        make("g1@x", subject="Re: Road closures", minutes=30, references="<r@x> <lost@x>"),
    ])
    with db.reader() as session:
        tree = thread_tree(session, rows_by_mid(db)["r@x"].thread_id)
    assert [(m.message_id, d) for m, d in tree] == [("r@x", 0), ("a@x", 1), ("a1@x", 2), ("b@x", 1), ("g1@x", 1)]


def test_ghost_with_two_replies_stays_as_a_placeholder_root(db, settings, clock):
    feed(db, settings, clock, [
        make("x1@x", subject="Re: Ticket 42", minutes=5, references="<ticket@x>"),
        make("x2@x", subject="Re: Ticket 42", minutes=9, sender="bob@b.gov.uk", references="<ticket@x>"),
    ])
    rows = rows_by_mid(db)
    with db.reader() as session:
        tree = [(m.message_id, m.is_ghost, d) for m, d in thread_tree(session, rows["x1@x"].thread_id)]
    assert tree == [("ticket@x", True, 0), ("x1@x", False, 1), ("x2@x", False, 1)]
    (thread,) = threads(db)
    assert thread.message_count == 2 and thread.subject == "Re: Ticket 42"
