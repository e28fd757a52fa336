"""Absolute URLs that summaries and confirmation mails link to (web.base_url + the web's routes)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from replyall.config import Settings


def thread_url(settings: Settings, slug: str, key: str) -> str:
    # Routes of web/routes/threads.py and archives.py: keep in step with them.
    return f"{settings.web.base_url}/t/{quote(key)}"


def archive_url(settings: Settings, slug: str) -> str:
    return f"{settings.web.base_url}/a/{quote(slug)}"


def subscribe_url(settings: Settings, slug: str) -> str:
    return f"{settings.web.base_url}/a/{quote(slug)}/digest/subscribe"


def confirm_url(settings: Settings, slug: str, token: str) -> str:
    return f"{settings.web.base_url}/a/{quote(slug)}/digest/confirm?{urlencode({'token': token})}"


def unsubscribe_url(settings: Settings, slug: str, token: str) -> str:
    return f"{settings.web.base_url}/a/{quote(slug)}/digest/unsubscribe?{urlencode({'token': token})}"


def command_address(settings: Settings, slug: str, command: str) -> str:
    """SLUG+COMMAND@DOMAIN, on the domain of the archive's first address."""
    archive = settings.archive(slug)
    domain = archive.address[0].rpartition("@")[2] if archive else settings.smtp.hostname
    return f"{slug}+{command}@{domain}"
