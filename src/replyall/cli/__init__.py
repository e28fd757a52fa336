"""The `replyall` command group; each command lives in a module of this package."""

from __future__ import annotations

import sys

import click

from replyall.cli.common import AppContext
from replyall.config import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    envvar="REPLYALL_CONFIG",
    type=click.Path(dir_okay=False),
    help="TOML settings file (default: $REPLYALL_CONFIG; REPLYALL_* variables override it).",
)
@click.version_option(package_name="replyall")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """replyall: a clean, threaded, searchable archive for reply-all email storms.

    Mail sent to an archive's address is kept exactly as received, cleaned of quotes,
    signatures and disclaimers, threaded and published on the web.
    """
    ctx.obj = AppContext(config_path)


def _register() -> None:
    # Command modules import their heavy dependencies (talon, the pipeline) inside
    # the commands, so `replyall --help` stays quick.
    from replyall.cli import bans, clean, db, digest, mail, reindex, serve

    for command in (db.db, clean.clean, reindex.reindex, *serve.COMMANDS, *mail.COMMANDS, *digest.COMMANDS, *bans.COMMANDS):
        cli.add_command(command)


_register()


def main() -> None:
    try:
        cli.main(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
