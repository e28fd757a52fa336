"""`replyall serve` (everything in one process) and `smtp` / `web` / `worker` to run parts apart."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from replyall.cli.common import AppContext, configure, pass_app

if TYPE_CHECKING:
    from replyall.runtime import Parts


def _run(app: AppContext, parts: "Parts") -> None:
    # Imported here: the service pulls in the whole pipeline (talon, scikit-learn),
    # which `replyall --help` should not wait for.
    from replyall.runtime import NotMigrated, Service

    configure(app)
    service = Service(app.settings, parts)
    try:
        asyncio.run(service.run())
    except NotMigrated as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    except OSError as exc:
        click.echo(f"error: cannot listen: {exc.strerror or exc} (is another server using the port?)", err=True)
        raise SystemExit(2) from None


def _parts(**kwargs: bool) -> "Parts":
    from replyall.runtime import Parts

    return Parts(**kwargs)


@click.command()
@pass_app
def serve(app: AppContext) -> None:
    """Run SMTP intake, the worker and the web archive in one process (stop with Ctrl-C)."""
    _run(app, _parts())


@click.command()
@pass_app
def smtp(app: AppContext) -> None:
    """Run only the SMTP listener (several may share one PostgreSQL database)."""
    _run(app, _parts(web=False, worker=False, digest=False))


@click.command()
@pass_app
def web(app: AppContext) -> None:
    """Run only the web archive."""
    _run(app, _parts(smtp=False, worker=False, digest=False))


@click.command()
@click.option("--once", is_flag=True, help="Process what is pending, then exit (for cron or scripts).")
@pass_app
def worker(app: AppContext, once: bool) -> None:
    """Run only the processing worker (several may share one PostgreSQL database)."""
    if once:
        from replyall.pipeline.runner import drain

        configure(app)
        database = app.database()
        try:
            counts = drain(database, app.settings, app.clock)
        finally:
            database.close()
        click.echo(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "nothing pending")
        return
    _run(app, _parts(smtp=False, web=False, digest=False))


COMMANDS = (serve, smtp, web, worker)
