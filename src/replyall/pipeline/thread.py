"""Step: place the message in a conversation (References/In-Reply-To, Thread-Index, subject, else new).

The rules, in order (issue 5): (1) JWZ on References and In-Reply-To, with ghost rows
for parents that have not arrived, merging the threads a message links and refusing
cycles; (2) Outlook Thread-Index when there are no references; (3) a guarded subject
fallback for replies with neither; (4) a new thread. Every decision depends on the
message and rows it can find with a few indexed lookups; `pipeline.adopt` (called by
the store step once the row exists) lets a late parent take in the orphans that
arrived before it, so the same messages in any order give the same threads.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from replyall.admin import repairs
from replyall.db.models import Message, Thread
from replyall.mail.headers import message_id_hash, normalize_message_id
from replyall.mail.subject import is_reply
from replyall.pipeline.context import Context
from replyall.threading import evidence, links, rules

# Rows fetched per subject lookup: a storm can have hundreds of "Re: same subject"
# messages in a window; the newest ones are the likeliest parents.
SUBJECT_LIMIT = 200
# Reasons that are guesses from a message's own weaker evidence; another message's
# References chain overrides them.
GUESSED = ("thread-index", "subject")


def archive_addresses(ctx: Context) -> tuple[str, ...]:
    return tuple(a for conf in ctx.settings.archives if conf.slug == ctx.archive.slug for a in conf.address)


def candidate_of(message: Message, exclude: tuple[str, ...]) -> rules.Candidate:
    """The subject-fallback view of a stored message."""
    said = "\n".join((message.body or "", message.signature or "", message.disclaimer or ""))
    return _candidate(
        message.message_id, message.subject, message.subject_key, message.date,
        (message.from_name, message.from_address), message.to or [], message.cc or [],
        quote=message.quote or "", body=message.body or "", said=said, exclude=exclude,
    )


def _candidate(mid, subject, skey, date, sender, to, cc, *, quote: str, body: str, said: str, exclude) -> rules.Candidate:
    name, address = sender[0] or "", (sender[1] or "").lower()
    return rules.Candidate(
        message_id=mid,
        subject=subject or "",
        subject_key=skey,
        date=date,
        from_address=address,
        to_addresses=frozenset((p[1] or "").lower() for p in to if len(p) >= 2 and p[1]),
        participants=rules.participants(address, to, cc, exclude),
        author_name=name,
        author_address="" if address in {e.lower() for e in exclude} else address,
        attribution=evidence.attribution(quote),
        quoted=evidence.quoted_lines(quote, body),
        # Body, signature and disclaimer together: learned boilerplate moves lines
        # between them depending on what arrived before, never into or out of the quote.
        said=evidence.said_lines(said),
    )


def subject_window(ctx: Context) -> timedelta:
    return timedelta(days=ctx.settings.threading.subject_window_days)


def run(ctx: Context) -> None:
    _place(ctx)
    conv = ctx.extra["threading"]["conversation_key"]
    if conv and ctx.thread is not None and ctx.thread_reason not in ("duplicate", "repair"):
        _join_conversation(ctx, conv)


def _join_conversation(ctx: Context, conv: str) -> None:
    """One Outlook conversation, one thread, whichever rule placed this message.

    Without this, a message placed by References would leave its Thread-Index
    siblings in another thread in some arrival orders and not in others.
    """
    session = ctx.session
    assert ctx.thread is not None
    others = session.scalars(
        select(Message.thread_id)
        .where(Message.archive_id == ctx.archive.id, Message.conversation_key == conv, Message.thread_id != ctx.thread.id)
        .distinct()
    )
    thread = ctx.thread
    for tid in sorted(set(others)):
        found = session.get(Thread, tid)
        if found is not None:
            thread = links.merge_threads(session, thread, found)
    if thread.conversation_key is None:
        thread.conversation_key = conv
    ctx.thread = thread


def _place(ctx: Context) -> None:
    parsed = ctx.parsed
    assert parsed is not None
    session, archive_id = ctx.session, ctx.archive.id
    ti_hex, conv = rules.ti_fields(parsed.header("thread-index"))
    skey = rules.subject_key(parsed.subject, parsed.header("thread-topic"))
    ctx.extra["threading"] = {"thread_index": ti_hex, "conversation_key": conv, "subject_key": skey}

    own = links.find_message(session, archive_id, ctx.raw.message_id, lock=True)
    ctx.message = own
    duplicate_of = ctx.extra.get("duplicate_of")
    if duplicate_of is not None:
        _as_duplicate(ctx, own, duplicate_of)
        return
    if repairs.place(ctx, own):
        return  # an administrator's thread repair wins over every rule, on reindex too
    own_mid = normalize_message_id(ctx.raw.message_id) or ctx.raw.message_id
    refs = [m for m in parsed.parents if m != own_mid]
    if refs:
        _by_references(ctx, own, refs)
        return
    if own is not None and own.parent_id is not None and (own.is_ghost or own.thread_reason == "references"):
        # Another message's References already placed this one (JWZ: the chain of a
        # reply tells us its ancestors' parents too); keep that, it beats any guess.
        ctx.parent = session.get(Message, own.parent_id)
        ctx.thread = session.get(Thread, own.thread_id)
        ctx.thread_reason = "references"
        return
    if ti_hex and conv and _by_thread_index(ctx, own, ti_hex, conv):
        return
    if _by_subject(ctx, own, skey) or _by_series(ctx, own):
        return
    ctx.parent, ctx.thread_reason = None, "new"
    ctx.thread = session.get(Thread, own.thread_id) if own is not None else _new_thread(ctx, conv)


def _new_thread(ctx: Context, conv: str | None) -> Thread:
    """A thread keyed by the message; an Outlook conversation's first thread is keyed by the conversation.

    Two workers starting the same conversation at once then collide on the unique
    key and one retries into the other's thread (the runner turns it into Retry).
    """
    session = ctx.session
    seeds = []
    if conv:
        seeds.append(links.thread_key(f"conversation:{ctx.archive.id}:{conv}"))
    seeds.append(ctx.raw.message_id_hash[:16].lower())
    seeds += [links.thread_key(f"thread:{ctx.raw.message_id_hash}:{n}") for n in range(1, 4)]
    key = next((k for k in seeds if not links.key_taken(session, k)), seeds[-1])
    return links.new_thread(session, ctx.archive.id, key, conversation_key=conv)


def _as_duplicate(ctx: Context, own: Message | None, kept: Message) -> None:
    """A near-duplicate joins its original's thread, unshown (dedupe.py decided)."""
    thread = ctx.session.get(Thread, kept.thread_id)
    assert thread is not None
    if own is not None and own.thread_id != thread.id:
        # Someone replied to the copy before it arrived: its ghost's thread is the same conversation.
        other = ctx.session.get(Thread, own.thread_id)
        assert other is not None
        thread = links.merge_threads(ctx.session, thread, other)
    ctx.thread, ctx.parent, ctx.thread_reason = thread, None, "duplicate"


def _by_references(ctx: Context, own: Message | None, refs: list[str]) -> None:
    """JWZ link_refs: every referenced id gets a row (ghost if missing), chained oldest first."""
    parsed, session, archive_id = ctx.parsed, ctx.session, ctx.archive.id
    assert parsed is not None
    hashes = {message_id_hash(m): m for m in refs}
    stmt = select(Message).where(Message.archive_id == archive_id, Message.message_id_hash.in_(hashes))
    if links.locking(session):
        stmt = stmt.order_by(Message.id).with_for_update()
    rows = {hashes[m.message_id_hash]: m for m in session.scalars(stmt)}

    # A chain that reaches an administrator's repair follows its nearest reference and
    # merges nothing, or the next reply would undo the repair.
    thread: Thread | None = repairs.pinned_thread(session, refs, rows, own)
    thread_ids = [] if thread is not None else sorted(
        {m.thread_id for m in rows.values()} | ({own.thread_id} if own is not None else set())
    )
    for tid in thread_ids:
        found = session.get(Thread, tid)
        assert found is not None
        thread = found if thread is None else links.merge_threads(session, thread, found)
    if thread is None:
        thread = _new_thread(ctx, None)

    previous: Message | None = None
    for mid in refs:
        row = rows.get(mid)
        if row is None:
            row = links.add_ghost(session, archive_id, mid, thread, previous)
            rows[mid] = row
        elif previous is not None and row.parent_id == previous.id and row.thread_reason in GUESSED:
            row.thread_reason = "references"  # the guess was right; the chain is the better reason
        elif (
            previous is not None
            and row.parent_id != previous.id
            and (row.parent_id is None or row.thread_reason in GUESSED)
            and row.thread_reason in ("ghost", "new", *GUESSED)
            and (own is None or row.id != own.id)
            and not links.would_cycle(session, row, previous)
        ):
            # First chain wins for a row without a parent of its own (JWZ), and a chain
            # beats a guess (Thread-Index, subject): had this reply arrived first, the
            # row would have been a ghost placed by it. Its own References win later.
            row.parent_id = previous.id
            if not row.is_ghost:
                row.thread_reason = "references"
        previous = row

    parent = rows[refs[-1]]
    if own is not None and links.would_cycle(session, own, parent):
        # A References loop (seen in Mail::Thread's testbox-6): keep the thread, drop the link.
        parent = None
    ctx.thread, ctx.parent = thread, parent
    in_refs = refs[-1] in parsed.references
    ctx.thread_reason = "references" if in_refs else "in-reply-to"


def _by_thread_index(ctx: Context, own: Message | None, ti_hex: str, conv: str) -> bool:
    """Outlook: the parent's Thread-Index is the child's minus its last 5 bytes; the nearest present wins."""
    session, archive_id = ctx.session, ctx.archive.id
    in_conv = select(Message).where(
        Message.archive_id == archive_id,
        Message.conversation_key == conv,
        Message.is_ghost.is_(False),
        Message.duplicate_of_id.is_(None),
    )
    if own is not None:
        in_conv = in_conv.where(Message.id != own.id)
    member_threads = set(session.scalars(in_conv.with_only_columns(Message.thread_id).distinct()))
    if not member_threads:
        return False
    ancestors = rules.ti_ancestors(ti_hex)
    # Exact lookups of our ancestors' Thread-Index values inside the conversation.
    found = {m.thread_index: m for m in session.scalars(in_conv.where(Message.thread_index.in_(ancestors)))} if ancestors else {}
    parent = next((found[a] for a in ancestors if a in found), None)
    if parent is not None and own is not None and links.would_cycle(session, own, parent):
        parent = None
    reason = "thread-index"
    if parent is None:
        # No ancestor of ours has arrived: the same guess a first arrival would make
        # (subject, else none), so the result does not depend on who came first.
        skey = ctx.extra["threading"]["subject_key"]
        parent = _subject_parent(ctx, own, skey)
        reason = "subject" if parent is not None else "new"
    thread_ids = member_threads | ({own.thread_id} if own is not None else set())
    if parent is not None:
        thread_ids.add(parent.thread_id)
    thread: Thread | None = None
    # One Outlook conversation, one thread: merge any the conversation is spread over.
    for tid in sorted(thread_ids):
        found = session.get(Thread, tid)
        assert found is not None
        thread = found if thread is None else links.merge_threads(session, thread, found)
    assert thread is not None
    if thread.conversation_key is None:
        thread.conversation_key = conv
    ctx.thread, ctx.parent, ctx.thread_reason = thread, parent, reason
    return True


def _me(ctx: Context, skey: str) -> rules.Candidate:
    parsed, cleaned = ctx.parsed, ctx.cleaned
    assert parsed is not None
    quote = cleaned.quote if cleaned is not None else ""
    said = "\n".join((cleaned.body, cleaned.signature, cleaned.disclaimer)) if cleaned is not None else ""
    return _candidate(
        ctx.raw.message_id, parsed.subject, skey, parsed.date, parsed.from_ or ("", ""), parsed.to, parsed.cc,
        quote=quote, body=cleaned.body if cleaned is not None else "", said=said, exclude=archive_addresses(ctx),
    )


def _subject_parent(ctx: Context, own: Message | None, skey: str) -> Message | None:
    """The best earlier same-subject message this reply shares people with, or None."""
    parsed, session = ctx.parsed, ctx.session
    assert parsed is not None
    if not skey or parsed.date is None or not is_reply(parsed.subject):
        return None
    me, window, exclude = _me(ctx, skey), subject_window(ctx), archive_addresses(ctx)
    stmt = (
        select(Message)
        .where(
            Message.archive_id == ctx.archive.id,
            Message.subject_key == skey,
            Message.date >= parsed.date - window,
            Message.date <= parsed.date,
            Message.is_ghost.is_(False),
            Message.duplicate_of_id.is_(None),
        )
        .order_by(Message.date.desc())
        .limit(SUBJECT_LIMIT)
    )
    best, best_rank = None, None
    for row in session.scalars(stmt):
        if own is not None and row.id == own.id:
            continue
        cand = candidate_of(row, exclude)
        if rules.eligible(cand, me, window) and (best_rank is None or rules.rank(cand, me) > best_rank):
            best, best_rank = row, rules.rank(cand, me)
    if best is None or (own is not None and links.would_cycle(session, own, best)):
        return None
    return best


def _by_subject(ctx: Context, own: Message | None, skey: str) -> bool:
    """A reply with no usable headers joins the best earlier same-subject message it shares people with."""
    return _join_guess(ctx, own, _subject_parent(ctx, own, skey))


def _join_guess(ctx: Context, own: Message | None, best: Message | None) -> bool:
    """Hang the message under a guessed parent (recorded as "subject"), bringing along what hangs under it."""
    if best is None:
        return False
    thread = ctx.session.get(Thread, best.thread_id)
    assert thread is not None
    if own is not None and own.thread_id != thread.id:
        thread = links.move_subtree(ctx.session, own, thread)
    ctx.thread, ctx.parent, ctx.thread_reason = thread, best, "subject"
    return True


def series_rows(ctx: Context, me: rules.Candidate, *, reasons: tuple[str, ...] | None = None):
    """Rows of the same sender within the series window: one indexed range on (archive, date)."""
    assert me.date is not None
    stmt = select(Message).where(
        Message.archive_id == ctx.archive.id,
        Message.date >= me.date - rules.SERIES_WINDOW,
        Message.date <= me.date + rules.SERIES_WINDOW,
        Message.from_address == me.from_address,
        Message.is_ghost.is_(False),
        Message.duplicate_of_id.is_(None),
        Message.message_id != me.message_id,
    )
    if reasons is not None:
        stmt = stmt.where(Message.thread_reason.in_(reasons))
    return ctx.session.scalars(stmt.order_by(Message.date).limit(SUBJECT_LIMIT))


def _by_series(ctx: Context, own: Message | None) -> bool:
    """A patch without headers joins its series' cover letter (or part 1), as git send-email threads it."""
    parsed = ctx.parsed
    assert parsed is not None
    if parsed.date is None or rules.series_of(parsed.subject) is None:
        return False
    me, exclude = _me(ctx, ctx.extra["threading"]["subject_key"]), archive_addresses(ctx)
    best, best_rank = None, None
    for row in series_rows(ctx, me):
        cand = candidate_of(row, exclude)
        if rules.series_eligible(cand, me) and (best_rank is None or rules.series_rank(cand, me) > best_rank):
            best, best_rank = row, rules.series_rank(cand, me)
    if best is not None and own is not None and links.would_cycle(ctx.session, own, best):
        best = None
    return _join_guess(ctx, own, best)  # "subject": the series is read from the subject line
