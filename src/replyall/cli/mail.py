"""`replyall import`, `replyall failed` and `replyall retry`: bring mail in, see what failed, process it again."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from sqlalchemy import select, update

from replyall.cli.common import AppContext, configure, pass_app


def archive_id_of(app: AppContext, database, slug: str) -> int:
    """The id of a configured archive (synced from the config first); a usage error names the known ones."""
    from replyall.db.archives import sync_archives

    with database.transaction() as session:
        ids = sync_archives(session, app.settings, app.clock)
    if slug not in ids or app.settings.archive(slug) is None:
        known = ", ".join(sorted(a.slug for a in app.settings.archives)) or "none configured"
        raise click.BadParameter(f"no archive {slug!r} in the config (archives: {known})", param_hint="--archive")
    return ids[slug]


class _Bar:
    """A rich progress bar: messages, messages/s, and time left by bytes read. Silent when not a TTY."""

    def __init__(self, quiet: bool) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]importing"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[messages]:>8,} messages"),
            TextColumn("{task.fields[rate]:>7,.0f} msg/s"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            disable=quiet or not console.is_terminal,
            transient=False,
        )
        self.task = None
        self.t0 = time.monotonic()

    def __enter__(self) -> "_Bar":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def started(self, total: int) -> None:
        self.t0 = time.monotonic()
        self.task = self.progress.add_task("import", total=max(total, 1), messages=0, rate=0.0)

    def update(self, messages: int, done: int) -> None:
        elapsed = time.monotonic() - self.t0
        self.progress.update(self.task, completed=done, messages=messages, rate=messages / elapsed if elapsed else 0)


@click.command("import")
@click.option("--archive", "slug", required=True, help="Slug of the archive the mail belongs to.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (it is also off when output is not a terminal).")
@click.option("--no-process", is_flag=True, help="Only store; leave processing to a running worker.")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000),
              help="Messages stored per transaction.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@pass_app
def import_command(app: AppContext, slug: str, quiet: bool, no_process: bool, batch_size: int, paths) -> None:
    """Import existing mail into an archive: mbox or mboxrd files (also .gz), maildirs,
    directories of .eml files, or single .eml files.

    Safe to run again: messages the archive already holds (same Message-ID) are
    counted as duplicates and left alone. Ends with a summary; messages that fail
    processing are kept and listed (see `replyall failed`, `replyall retry`).
    """
    from replyall.intake.importer import UnreadableInput, import_paths

    configure(app, batch=True)
    database = app.database()
    try:
        archive_id = archive_id_of(app, database, slug)
        with _Bar(quiet) as bar:
            result = import_paths(
                database, app.settings, app.clock, archive_id, paths, process=not no_process,
                batch_size=batch_size, progress=bar.update, started=bar.started,
            )
    except UnreadableInput as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        database.close()
    seconds = time.monotonic() - bar.t0
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(result.statuses.items())) or "none"
    click.echo(
        f"imported {result.imported}, duplicates {result.duplicates}, failed {len(result.failed)} "
        f"({result.seen / seconds if seconds else 0:,.0f} messages/s)"
    )
    if not no_process:
        click.echo(f"processed: {statuses}")
    for where, reason in result.failed:
        click.echo(f"  failed: {where}: {reason}")
    if result.unstored:
        sys.exit(1)


@click.command()
@click.option("--archive", "slug", help="Only this archive.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1), help="Most messages to list.")
@pass_app
def failed(app: AppContext, slug: str | None, limit: int) -> None:
    """List messages that failed processing, newest first, with the reason (retry with `replyall retry`)."""
    from replyall.db.models import Archive, RawMessage

    database = app.database()
    try:
        with database.reader() as session:
            stmt = (
                select(RawMessage.id, Archive.slug, RawMessage.received_at, RawMessage.attempts,
                       RawMessage.message_id, RawMessage.error)
                .join(Archive, Archive.id == RawMessage.archive_id)
                .where(RawMessage.status == "failed")
                .order_by(RawMessage.id.desc())
                .limit(limit)
            )
            if slug:
                stmt = stmt.where(Archive.slug == slug)
            rows = session.execute(stmt).all()
    finally:
        database.close()
    if not rows:
        click.echo("no failed messages")
        return
    for raw_id, archive, received, attempts, mid, error in rows:
        click.echo(f"{raw_id}\t{archive}\t{received:%Y-%m-%d %H:%M}\t{attempts} attempt(s)\t<{mid}>")
        click.echo(f"\t{error or 'no reason recorded'}")


@click.command()
@click.option("--archive", "slug", help="Only failed messages of this archive.")
@click.option("--all", "all_failed", is_flag=True, help="Every failed message (of --archive, if given).")
@click.option("--no-process", is_flag=True, help="Only mark them pending; leave processing to a running worker.")
@click.argument("raw_ids", nargs=-1, type=int)
@pass_app
def retry(app: AppContext, slug: str | None, all_failed: bool, no_process: bool, raw_ids: tuple[int, ...]) -> None:
    """Process failed messages again: RAW_ID... (see `replyall failed`) or --all."""
    from replyall.db.models import Archive, RawMessage
    from replyall.pipeline.runner import drain

    if bool(raw_ids) == all_failed:
        raise click.UsageError("give RAW_IDs or --all (not both)")
    configure(app, batch=True)
    database = app.database()
    try:
        with database.transaction() as session:
            where = [RawMessage.status == "failed"]
            if raw_ids:
                where.append(RawMessage.id.in_(raw_ids))
            if slug:
                where.append(RawMessage.archive_id.in_(select(Archive.id).where(Archive.slug == slug)))
            chosen = list(session.scalars(select(RawMessage.id).where(*where)))
            if chosen:
                session.execute(
                    update(RawMessage).where(RawMessage.id.in_(chosen))
                    .values(status="pending", attempts=0, error=None, processed_at=None)
                )
        for raw_id in sorted(set(raw_ids) - set(chosen)):
            click.echo(f"skipped {raw_id}: no such failed message", err=True)
        click.echo(f"{len(chosen)} message(s) marked for processing")
        if not chosen or no_process:
            return
        drain(database, app.settings, app.clock)
        with database.reader() as session:
            outcome = session.execute(select(RawMessage.id, RawMessage.status, RawMessage.error)
                                      .where(RawMessage.id.in_(chosen)).order_by(RawMessage.id)).all()
    finally:
        database.close()
    for raw_id, status, error in outcome:
        click.echo(f"{raw_id}\t{status}" + (f"\t{error}" if error else ""))
    if any(status == "failed" for _, status, _ in outcome):
        sys.exit(1)


COMMANDS = (import_command, retry, failed)
