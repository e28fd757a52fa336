"""`replyall bans`: list, add and lift sender bans from the shell (the web's /admin/bans does the same).

For administrators who script moderation, or bring a blocklist from another system:
`replyall bans add --archive comms-network - < blocklist.txt`.
"""

from __future__ import annotations

import getpass
import sys

import click

from replyall.cli.common import AppContext, pass_app
from replyall.cli.mail import archive_id_of


def _patterns(given: tuple[str, ...]) -> list[str]:
    """The patterns on the command line; "-" reads more from standard input, one a line (# comments)."""
    out: list[str] = []
    for value in given:
        if value != "-":
            out.append(value)
            continue
        for line in sys.stdin:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
    return out


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - a container user with no name: the audit says "cli:unknown"
        return "unknown"


@click.group()
def bans() -> None:
    """Sender bans: what a banned address or @domain sends is archived but arrives hidden."""


@bans.command("list")
@click.option("--archive", "slug", help="Only this archive.")
@pass_app
def list_bans(app: AppContext, slug: str | None) -> None:
    """Every ban: archive, address or @domain, since when and by whom."""
    from replyall.admin.bans import all_bans

    with app.database().reader() as session:
        rows = [(b, s) for b, s in all_bans(session) if slug is None or s == slug]
    if not rows:
        click.echo("No sender is banned.")
    for ban, archive in rows:
        click.echo(f"{archive}\t{ban.pattern}\t{ban.created_at:%Y-%m-%d %H:%M}\t{ban.created_by}")


def _change(app: AppContext, slug: str, patterns: tuple[str, ...], by: str | None, add: bool) -> None:
    from replyall.admin import bans as bans_module

    wanted = _patterns(patterns)
    if not wanted:
        raise click.UsageError("give at least one address or @domain (or - to read them from standard input)")
    try:
        wanted = [bans_module.pattern_of(p) for p in wanted]
    except bans_module.BanError as exc:
        raise click.BadParameter(str(exc), param_hint="PATTERNS") from None
    actor = by or f"cli:{_login()}"
    database = app.database()
    archive_id = archive_id_of(app, database, slug)
    with database.transaction() as session:
        change = bans_module.ban if add else bans_module.unban
        changed = [p for p in wanted if change(session, app.clock, actor, archive_id, p)]
    verb = "banned" if add else "lifted"
    click.echo(f"{verb} {len(changed)} of {len(wanted)} in {slug}" + (f": {', '.join(changed)}" if changed else ""))


@bans.command("add")
@click.option("--archive", "slug", required=True, help="Slug of the archive the bans are for.")
@click.option("--by", help="Who to name in the audit log (default: cli:<your login name>).")
@click.argument("patterns", nargs=-1)
@pass_app
def add(app: AppContext, slug: str, by: str | None, patterns: tuple[str, ...]) -> None:
    """Ban PATTERNS: addresses, or @domain for everyone at a domain and its subdomains.
    "-" reads them from standard input, one a line. Already banned ones are left alone."""
    _change(app, slug, patterns, by, add=True)


@bans.command("lift")
@click.option("--archive", "slug", required=True, help="Slug of the archive the bans are for.")
@click.option("--by", help="Who to name in the audit log (default: cli:<your login name>).")
@click.argument("patterns", nargs=-1)
@pass_app
def lift(app: AppContext, slug: str, by: str | None, patterns: tuple[str, ...]) -> None:
    """Lift the bans on PATTERNS ("-" reads them from standard input). What the senders
    sent meanwhile stays hidden until an administrator shows it again."""
    _change(app, slug, patterns, by, add=False)


COMMANDS = (bans,)
