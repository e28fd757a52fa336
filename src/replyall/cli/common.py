"""What every command shares: settings loaded once, on demand, with errors as one clear line."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from replyall.clock import SystemClock
from replyall.config import ConfigError, Settings, load_settings
from replyall.db.engine import Database


@dataclass
class AppContext:
    config_path: str | None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                click.echo(f"error: {exc}", err=True)
                raise SystemExit(2) from None
        return self._settings

    def database(self) -> Database:
        return Database.from_url(self.settings.database.url, pool_size=self.settings.database.pool_size)

    clock = SystemClock()


pass_app = click.make_pass_decorator(AppContext)


def configure(app: AppContext, *, batch: bool = False) -> None:
    """Set up logging; a batch command (progress bar, summary) logs no line per message."""
    from replyall.logs import configure_logging

    configure_logging(app.settings.logging, per_message=not batch)
