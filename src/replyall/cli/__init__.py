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
    from replyall.cli import db, serve

    cli.add_command(db.db)
    for command in serve.COMMANDS:
        cli.add_command(command)
    # Commands owned by other stages register themselves here as they arrive.
    for module_name, attr in (
        ("replyall.cli.clean", "clean"),
        ("replyall.cli.reindex", "reindex"),
        ("replyall.cli.mail", "COMMANDS"),
        ("replyall.cli.digest", "COMMANDS"),
    ):
        try:
            module = __import__(module_name, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found = getattr(module, attr)
        for command in found if isinstance(found, list | tuple) else [found]:
            cli.add_command(command)


_register()


def main() -> None:
    try:
        cli.main(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
