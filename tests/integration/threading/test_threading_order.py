"""Order independence: the same messages in any arrival order give the same threads and parent links."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings as hsettings, strategies as st
from thread_helpers import feed, make, snapshot

from replyall.clock import FrozenClock
from replyall.db.archives import sync_archives
from replyall.db.engine import Database

DAY = 24 * 60
A, B, C, D = "alice@leeds.example.gov.uk", "bob@nhs.example.uk", "carol@police.example.uk", "dan@kent.example.gov.uk"
P, Q = "pat@devon.example.gov.uk", "quin@york.example.gov.uk"
ASK = "The gullies on Moor Lane are blocked again after the storm.\nCan someone send a crew before Friday?\n"
CREW = "A crew is booked for Thursday and will clear the gullies by noon."
TI = bytes.fromhex("01d7a1b2c3d4") + bytes(range(16))

MESSAGES = {
    # A reply-all storm with References, an In-Reply-To-only reply, a reply to a lost
    # message (ghost) and two replies whose gateway stripped every threading header.
    "s1": make("s1@x", subject="Winter gritting", sender=A, cc=(B, C)),
    "s2": make("s2@x", subject="RE: Winter gritting", sender=B, to=(A,), cc=(C,), minutes=30, references="<s1@x>"),
    "s3": make("s3@x", subject="RE: Winter gritting", sender=C, to=(B,), minutes=50, in_reply_to="<s2@x>"),
    "s4": make("s4@x", subject="RE: Winter gritting", sender=D, to=(A,), minutes=70, references="<s1@x> <lost@x>"),
    "s5": make("s5@x", subject="RE: Winter gritting", sender=A, to=(B,), cc=(C,), minutes=90),
    "s6": make("s6@x", subject="RE: RE: Winter gritting", sender=B, to=(C,), minutes=120),
    "s7": make("s7@x", subject="Re: Winter gritting", sender=C, to=(D,), minutes=130, references="<s1@x> <s4@x>"),
    # Its References say the stripped s6 answered s3: that beats s6's subject guess.
    "s8": make("s8@x", subject="Re: Winter gritting", sender=D, to=(B,), minutes=140, references="<s1@x> <s3@x> <s6@x>"),
    # An Outlook conversation held together by Thread-Index alone.
    "o1": make("o1@x", subject="Budget", sender=P, to=(Q,), minutes=10, thread_index=TI, thread_topic="Budget"),
    "o2": make("o2@x", subject="RE: Budget", sender=Q, to=(P,), minutes=40, thread_index=TI + b"\0\0\1\2\3"),
    "o3": make("o3@x", subject="RE: Budget", sender=P, to=(Q,), minutes=60, thread_index=TI + b"\0\0\1\2\3\0\0\4\5\6"),
    "o4": make("o4@x", subject="RE: Budget", sender=A, to=(P,), minutes=65, thread_index=TI + b"\0\0\7\7\7"),
    # References to a message we never get, plus the conversation's Thread-Index.
    "o5": make("o5@x", subject="RE: Budget", sender=Q, to=(A,), minutes=70, references="<lost-o@x>",
               thread_index=TI + b"\0\0\7\7\7\0\0\1\1\1"),
    # The same generic subject twice, three weeks apart, between different people.
    "q1": make("q1@x", subject="Quick question", sender=A, to=(B,), minutes=1 * DAY),
    "q2": make("q2@x", subject="Re: Quick question", sender=B, to=(A,), minutes=1 * DAY + 60),
    "q3": make("q3@x", subject="Quick question", sender=P, to=(Q,), minutes=22 * DAY),
    "q4": make("q4@x", subject="RE: Quick question", sender=Q, to=(P,), minutes=22 * DAY + 30),
    # Written to the list alone: only their quotes tie the replies to their parents;
    # l4 quotes someone who is not in the thread and stays apart.
    "l1": make("l1@x", subject="Gully cleaning", sender=f"Pat Lee <{P}>", minutes=2 * DAY, body=ASK),
    "l2": make("l2@x", subject="Re: Gully cleaning", sender=f"Quin Ray <{Q}>", minutes=2 * DAY + 20,
               body=f"{CREW}\n\nOn Wed, 4 Nov 2026, Pat Lee wrote:\n> Can someone help?\n"),
    "l3": make("l3@x", subject="Re: Gully cleaning", sender=D, minutes=2 * DAY + 40,
               body=f"Thursday is too late for the school run.\n\n> {CREW}\n"),
    "l4": make("l4@x", subject="Re: Gully cleaning", sender=B, minutes=2 * DAY + 60,
               body="Same here.\n\nOn Wed, 4 Nov 2026, Yan Holt <yan@devon.example.gov.uk> wrote:\n> Devon too.\n"),
    # A patch series whose gateway stripped the headers: git send-email's threading
    # is rebuilt from the subjects (cover letter, then parts of the same author).
    "p0": make("p0@x", subject="[PATCH 0/2] Gritting routes", sender=A, minutes=3 * DAY),
    "p1": make("p1@x", subject="[PATCH 1/2] routes: add Moor Lane", sender=A, minutes=3 * DAY + 0.02),
    "p2": make("p2@x", subject="[PATCH 2/2] routes: drop Mill Road", sender=A, minutes=3 * DAY + 0.04),
}


def _fresh(template: Path, tmp: Path):
    from support.settings import make_settings

    path = tmp / "order.db"
    shutil.copyfile(template, path)
    settings = make_settings(f"sqlite:///{path}")
    clock = FrozenClock(datetime(2026, 12, 1, tzinfo=UTC))
    db = Database.from_url(settings.database.url)
    with db.transaction() as session:
        sync_archives(session, settings, clock)
    return db, settings, clock


def _run(template: Path, order: list[str]):
    with tempfile.TemporaryDirectory() as tmp:
        db, settings, clock = _fresh(template, Path(tmp))
        try:
            feed(db, settings, clock, [MESSAGES[name] for name in order])
            return snapshot(db)
        finally:
            db.close()


def test_reference_order_gives_the_expected_threads(_sqlite_template):
    snap = _run(_sqlite_template, list(MESSAGES))
    groups = {members for _, members, _ in snap.values()}
    assert groups == {
        frozenset({"s1@x", "s2@x", "s3@x", "s4@x", "s5@x", "s6@x", "s7@x", "s8@x"}),
        frozenset({"o1@x", "o2@x", "o3@x", "o4@x", "o5@x"}),
        frozenset({"q1@x", "q2@x"}),
        frozenset({"q3@x", "q4@x"}),
        frozenset({"l1@x", "l2@x", "l3@x"}),
        frozenset({"l4@x"}),
        frozenset({"p0@x", "p1@x", "p2@x"}),
    }
    parents = {mid: parent for mid, (parent, _, _) in snap.items()}
    assert parents["s3@x"] == "s2@x" and parents["s4@x"] == "s1@x" and parents["s7@x"] == "s4@x"
    assert parents["s5@x"] == "s2@x"  # written to Bob: Bob's message is the likeliest parent
    assert parents["s6@x"] == "s3@x"  # placed by s8's References chain
    assert parents["o3@x"] == "o2@x" and parents["o2@x"] == "o1@x" and parents["o4@x"] == "o1@x"
    assert parents["q4@x"] == "q3@x"
    assert parents["l2@x"] == "l1@x" and parents["l3@x"] == "l2@x"
    assert parents["p1@x"] == "p0@x" and parents["p2@x"] == "p0@x"


# Each example runs 15 messages through the whole pipeline: no shrinking (slow and
# unnecessary, the failing order is printed whole).
@hsettings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(order=st.permutations(list(MESSAGES)))
def test_any_arrival_order_gives_the_same_threads_and_parents(_sqlite_template, order):
    reference = _reference(_sqlite_template)
    assert _run(_sqlite_template, list(order)) == reference


_CACHE: dict[Path, dict] = {}


def _reference(template: Path) -> dict:
    if template not in _CACHE:
        _CACHE[template] = _run(template, list(MESSAGES))
    return _CACHE[template]
