"""Render summaries and subscription mails: text and HTML parts from autoescaped Jinja templates."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from replyall.config import Settings
from replyall.digest.build import Digest

_PACKAGE = Path(__file__).resolve().parent.parent
# templates/ at the top of a checkout, or replyall/_templates in an installed wheel.
_CANDIDATES = (_PACKAGE.parent.parent / "templates", _PACKAGE / "_templates")


def templates_dir() -> Path:
    for path in _CANDIDATES:
        if (path / "email" / "digest.txt").is_file():
            return path
    raise RuntimeError(f"email templates not found (looked in {', '.join(map(str, _CANDIDATES))})")


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _names(names: list[str], limit: int = 6) -> str:
    """"Ann, Bob and Cy" / "Ann, Bob, Cy and 4 others"."""
    if len(names) > limit:
        shown = names[: limit - 1]
        return ", ".join(shown) + f" and {len(names) - len(shown)} others"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@lru_cache(maxsize=8)
def _environment(override: str, zone: str) -> Environment:
    loaders = [FileSystemLoader(override)] if override else []
    loaders.append(FileSystemLoader(templates_dir()))
    # HTML is escaped (mail-derived text is hostile); the text part is not HTML, so
    # escaping it would show "&amp;" to readers.
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("txt",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    tz = ZoneInfo(zone)

    def localdate(value: datetime | None, fmt: str = "%a %d %b %H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if value is not None else ""

    env.filters["localdate"] = localdate
    env.filters["plural"] = _plural
    env.filters["names"] = _names
    return env


def environment(settings: Settings) -> Environment:
    override = getattr(settings.web, "templates_dir", "") or ""
    return _environment(str(override), settings.web.time_zone)


def render_pair(settings: Settings, name: str, **context) -> tuple[str, str]:
    """(text, html) from templates/email/NAME.txt and NAME.html."""
    env = environment(settings)
    text = env.get_template(f"email/{name}.txt").render(**context)
    html = env.get_template(f"email/{name}.html").render(**context)
    return text, html


def render_digest(settings: Settings, digest: Digest, *, unsubscribe_url: str, archive_url: str, command_unsubscribe: str) -> tuple[str, str]:
    return render_pair(
        settings,
        "digest",
        digest=digest,
        archive=settings.archive(digest.archive_slug),
        unsubscribe_url=unsubscribe_url,
        archive_url=archive_url,
        command_unsubscribe=command_unsubscribe,
        time_zone=settings.web.time_zone,
    )


def digest_subject(digest: Digest) -> str:
    count = digest.message_count
    return (
        f"[{digest.archive_name}] Daily summary for {digest.day:%a %d %b %Y}: "
        f"{_plural(count, 'new message')} in {_plural(len(digest.threads), 'conversation')}"
    )
