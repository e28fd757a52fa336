"""`replyall digest ...`: send or preview the daily summary, list subscribers (for cron users and admins)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import click

from replyall.cli.common import AppContext, configure, pass_app


def _archives(app: AppContext, slug: str | None) -> list[str]:
    slugs = [a.slug for a in app.settings.archives]
    if slug is None:
        return slugs
    if slug not in slugs:
        raise click.BadParameter(f"no archive {slug!r} in the config (known: {', '.join(slugs) or 'none'})", param_hint="--archive")
    return [slug]


def _day(app: AppContext, value: str | None) -> date:
    from replyall.digest import schedule

    latest = schedule.latest_due_day(app.clock.now(), app.settings)
    if value is None:
        return latest
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD, e.g. 2026-11-20", param_hint="--date") from None
    return day


_ARCHIVE = click.option("--archive", "slug", metavar="SLUG", help="Only this archive (default: every archive).")
_DATE = click.option(
    "--date", "day", metavar="YYYY-MM-DD",
    help="The summary due on this local date, covering the 24 hours before its send time "
    "(default: the latest one due).",
)


@click.group()
def digest() -> None:
    """The daily summary email: send it (for cron), preview it, list who receives it."""


@digest.command()
@_ARCHIVE
@_DATE
@pass_app
def send(app: AppContext, slug: str | None, day: str | None) -> None:
    """Send the summary to every confirmed subscriber, at most once per day each.

    Safe to run from cron next to `replyall serve`, or twice: each subscriber's copy is
    claimed in the database before it is sent.
    """
    from replyall.digest import schedule
    from replyall.digest.send import send_day

    configure(app)
    slugs, when = _archives(app, slug), _day(app, day)
    if schedule.send_at(when, app.settings) > app.clock.now():
        raise click.ClickException(
            f"the summary for {when} is due at {app.settings.digest.send_time} ({app.settings.web.time_zone}); "
            "its window is not over yet (use `replyall digest preview` to see it so far)"
        )
    database = app.database()

    async def run():
        return [await send_day(database, app.settings, app.clock, s, when) for s in slugs]

    try:
        reports = asyncio.run(run())
    finally:
        database.close()
    failed = False
    for r in reports:
        if r.empty:
            click.echo(f"{r.archive} {r.day}: no new messages, nothing sent")
            continue
        click.echo(f"{r.archive} {r.day}: sent {r.sent}, already sent {r.already}, deferred {r.deferred}, bounced {r.bounced}")
        for error in r.errors:
            click.echo(f"  {error}", err=True)
        failed = failed or bool(r.errors)
    if failed:
        raise SystemExit(1)


@digest.command()
@_ARCHIVE
@_DATE
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text part.")
@pass_app
def preview(app: AppContext, slug: str | None, day: str | None, as_html: bool) -> None:
    """Print the summary as subscribers get it (text part), without sending anything."""
    from replyall.digest import links, queries
    from replyall.digest.render import digest_subject, render_digest

    slugs, when = _archives(app, slug), _day(app, day)
    database = app.database()
    try:
        for s in slugs:
            with database.reader() as session:
                found = queries.digest_for(session, app.settings, s, when)
            if found is None:
                raise click.ClickException(f"archive {s!r} is not in the database yet: start `replyall serve` once")
            text, html = render_digest(
                app.settings, found, unsubscribe_url=links.subscribe_url(app.settings, s),
                archive_url=links.archive_url(app.settings, s),
                command_unsubscribe=links.command_address(app.settings, s, "unsubscribe"),
            )
            click.echo(f"Subject: {digest_subject(found)}")
            if found.is_empty and app.settings.digest.skip_empty:
                click.echo("(no new messages: this summary would not be sent)")
            click.echo()
            click.echo(html if as_html else text)
    finally:
        database.close()


@digest.command()
@click.option("--archive", "slug", metavar="SLUG", required=True, help="The archive.")
@click.option("--status", type=click.Choice(["pending", "active", "unsubscribed", "bouncing"]), help="Only this status.")
@pass_app
def subscribers(app: AppContext, slug: str, status: str | None) -> None:
    """List the summary's subscribers: address, status, when they confirmed."""
    from replyall.digest import queries

    _archives(app, slug)
    database = app.database()
    try:
        with database.reader() as session:
            archive = queries.archive_by_slug(session, slug)
            rows = queries.subscribers(session, archive.id) if archive else []
    finally:
        database.close()
    rows = [r for r in rows if status is None or r.status == status]
    for r in rows:
        confirmed = r.confirmed_at.strftime("%Y-%m-%d %H:%M") if r.confirmed_at else "-"
        extra = f"  ({r.last_error})" if r.status == "bouncing" and r.last_error else ""
        click.echo(f"{r.address}\t{r.status}\t{confirmed}{extra}")
    click.echo(f"{len(rows)} subscriber(s)", err=True)


COMMANDS = (digest,)
