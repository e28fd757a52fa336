"""`replyall reindex`: re-clean archived messages from their raw bytes and refresh their search rows.

Raw mail is the truth and cleaned text is derived (ARCHITECTURE.md), so improved
cleaning rules and boilerplate learned from later mail can be applied to everything
already archived. Two passes over each archive, in arrival order, one transaction
per batch: (1) learn — every message teaches the archive's boilerplate learner, so
a footer first confirmed by the thousandth message is known when the first is
re-cleaned; (2) clean — parse the raw bytes again, classify, clean with what was
learned, update body / quote / signature / disclaimer / original / kind (and has:attachment), and
re-index the message for search.

Threads are left alone. `--full` instead rebuilds every derived row from the raw
mail (threads included, thread repairs replayed, moderation kept: cli/rebuild.py),
then re-cleans as above without the learning pass (the pipeline learned as it went).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from replyall.cli.common import AppContext, configure, pass_app
from replyall.clock import Clock
from replyall.db.engine import Database
from replyall.db.models import Archive, Message, RawMessage

__all__ = ["ReindexStats", "reindex", "reindex_archive", "refresh_search"]

log = logging.getLogger(__name__)

#: Fields of a message that cleaning derives; reindex rewrites exactly these. has:attachment
#: depends on the body too: a picture pasted into it counts (replyall.mail.pictures).
CLEANED_FIELDS = ("body", "quote", "signature", "disclaimer", "original", "kind", "has_attachments")


@dataclass
class ReindexStats:
    messages: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0


def refresh_search(session: Session, message: Message) -> None:
    """Hook: bring the message's search rows in step with its new text (never commits)."""
    from replyall.search import index_message

    index_message(session, message)


def _selectable(archive_id: int):
    # Ghosts have no raw message; redacted messages must never get their text back
    # from the raw bytes (the redaction is a decision, not derived data).
    return (
        Message.archive_id == archive_id,
        Message.raw_id.is_not(None),
        Message.is_ghost.is_(False),
    )


def count_messages(session: Session, archive_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Message).where(*_selectable(archive_id))) or 0


def _batches(db: Database, archive_id: int, size: int) -> Iterator[tuple[Session, list[tuple[Message, bytes]]]]:
    """(session, [(message, raw bytes)]) per batch, each batch in its own transaction, by raw id."""
    after = 0
    while True:
        with db.transaction() as session:
            rows = session.execute(
                select(Message, RawMessage.raw, RawMessage.id)
                .join(RawMessage, RawMessage.id == Message.raw_id)
                .where(*_selectable(archive_id), RawMessage.id > after)
                .order_by(RawMessage.id)
                .limit(size)
            ).all()
            if not rows:
                return
            yield session, [(m, raw) for m, raw, _ in rows]
            after = rows[-1][2]


def reindex_archive(
    db: Database,
    archive_id: int,
    clock: Clock,
    *,
    batch_size: int = 200,
    learn: bool = True,
    advance: Callable[[int], None] | None = None,
) -> ReindexStats:
    """Learn from, then re-clean and re-index, every archived message of one archive.

    `advance(n)` is called after each batch of each pass (for a progress bar).
    """
    # The pipeline modules pull in talon and scikit-learn; `replyall --help` should not.
    from replyall.mail.classify import classify
    from replyall.mail.mime import parse_message
    from replyall.mail.pictures import shared_files
    from replyall.pipeline.clean import clean_parsed, learner_from, observe

    stats = ReindexStats()
    if learn:
        for session, batch in _batches(db, archive_id, batch_size):
            learner = learner_from(session, archive_id, clock)
            for message, raw in batch:
                if message.redacted:
                    continue
                try:
                    parsed = parse_message(raw)
                    observe(learner, parsed, clean_parsed(parsed, None), classify(parsed))
                except Exception:  # noqa: BLE001 - one odd message must not stop the run; pass 2 reports it
                    log.exception("learning failed", extra={"message_id": message.message_id})
            if advance:
                advance(len(batch))
    for session, batch in _batches(db, archive_id, batch_size):
        learner = learner_from(session, archive_id, clock)
        for message, raw in batch:
            stats.messages += 1
            if message.redacted:
                stats.skipped += 1
                continue
            try:
                parsed = parse_message(raw)
                cleaned = clean_parsed(parsed, learner)
                new = dict(
                    body=cleaned.body, quote=cleaned.quote, signature=cleaned.signature,
                    disclaimer=cleaned.disclaimer, original=cleaned.original, kind=classify(parsed),
                    has_attachments=bool(shared_files(cleaned.body, cleaned.original, parsed.attachments)),
                )
                if any(getattr(message, k) != v for k, v in new.items()):
                    stats.changed += 1
                    for k, v in new.items():
                        setattr(message, k, v)
                refresh_search(session, message)
            except Exception:  # noqa: BLE001 - keep going, count it, exit non-zero at the end
                stats.failed += 1
                log.exception("reindex failed", extra={"message_id": message.message_id})
        if advance:
            advance(len(batch))
    return stats


def _count(db: Database, archive_id: int) -> int:
    with db.reader() as session:
        return count_messages(session, archive_id)


def _full(app: AppContext, db: Database, archive_id: int, slug: str, progress) -> None:
    from replyall.cli.rebuild import raw_count, rebuild_archive

    with db.transaction() as session:
        task = progress.add_task(f"{slug} (rebuild)", total=raw_count(session, archive_id))
        stats = rebuild_archive(session, archive_id, app.settings, app.clock, lambda n: progress.advance(task, n))
    done = ", ".join(f"{n} {status}" for status, n in sorted((stats.statuses or {}).items()))
    progress.console.print(f"{slug}: rebuilt from {stats.raw} raw messages ({done}); {stats.aliases_added} old thread links kept as aliases")


@click.command("reindex")
@click.option("--archive", "slugs", multiple=True, metavar="SLUG", help="Only this archive (repeatable; default: all).")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10000), help="Messages per transaction.")
@click.option(
    "--no-learn",
    is_flag=True,
    help="Skip the learning pass (the pipeline already learned from every message since the archive began).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Rebuild messages, threads and search from the raw mail, one transaction per archive "
    "(thread repairs, hidden and redacted messages and old thread links are kept). "
    "On SQLite this holds the write lock for the whole archive: stop the service first.",
)
@pass_app
def reindex(app: AppContext, slugs: tuple[str, ...], batch_size: int, no_learn: bool, full: bool) -> None:
    """Re-clean every archived message from its raw bytes and refresh search.

    Applies the current cleaning rules and the boilerplate learned since each
    message arrived. Safe to run while the service runs; each batch commits on its own.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    configure(app, batch=True)
    db = app.database()
    failed = 0
    try:
        with db.reader() as session:
            archives = session.execute(select(Archive.id, Archive.slug).order_by(Archive.slug)).all()
            known = {slug for _, slug in archives}
            unknown = sorted(set(slugs) - known)
            if unknown:
                raise click.ClickException(f"no archive {', '.join(unknown)} (known: {', '.join(sorted(known)) or 'none'})")
            chosen = [(i, s) for i, s in archives if not slugs or s in slugs]
            totals = {i: count_messages(session, i) for i, _ in chosen}
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=False) as progress:
            for archive_id, slug in chosen:
                if full:
                    _full(app, db, archive_id, slug, progress)
                    no_learn = True  # the pipeline has just learned from every message
                    totals[archive_id] = _count(db, archive_id)
                passes = 1 if no_learn else 2
                task = progress.add_task(slug, total=totals[archive_id] * passes)
                stats = reindex_archive(
                    db, archive_id, app.clock, batch_size=batch_size, learn=not no_learn,
                    advance=lambda n, task=task: progress.advance(task, n),
                )
                failed += stats.failed
                progress.console.print(
                    f"{slug}: {stats.messages} messages, {stats.changed} changed, "
                    f"{stats.skipped} redacted left alone, {stats.failed} failed"
                )
    finally:
        db.close()
    if failed:
        raise click.ClickException(f"{failed} messages could not be re-cleaned (see the log for their Message-IDs)")
