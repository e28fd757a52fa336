"""`replyall db ...`: apply, undo and check database migrations."""

from __future__ import annotations

import click

from replyall.cli.common import AppContext, pass_app
from replyall.db import migrate


@click.group()
def db() -> None:
    """Create and migrate the database schema."""


@db.command()
@click.argument("revision", default="head")
@pass_app
def upgrade(app: AppContext, revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    migrate.upgrade(app.settings.database.url, revision)
    click.echo(f"database at {revision}")


@db.command()
@click.argument("revision")
@pass_app
def downgrade(app: AppContext, revision: str) -> None:
    """Undo migrations down to REVISION ("base" removes everything)."""
    migrate.downgrade(app.settings.database.url, revision)
    click.echo(f"database at {revision}")


@db.command()
@pass_app
def check(app: AppContext) -> None:
    """Fail (exit 1) when the database is behind or the models and migrations drift."""
    database = app.database()
    try:
        current, head = migrate.current_revision(database.engine), migrate.head_revision()
        if current != head:
            raise click.ClickException(f"database at {current or 'none'}, latest is {head}: run `replyall db upgrade`")
        differences = migrate.drift(database.engine)
        if differences:
            lines = "\n".join(f"  {d}" for d in differences)
            raise click.ClickException(f"models and migrations differ; write a migration for:\n{lines}")
        click.echo(f"database at {head}; models and migrations agree")
    finally:
        database.close()
