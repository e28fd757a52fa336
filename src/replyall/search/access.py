"""Which archives a search may look in: search's door to replyall.web.access, the one place that decides."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from replyall.config import Settings


def readable_archive_ids(session: Session, settings: Settings, user: Any = None) -> list[int]:
    """Ids of the archives `user` (a replyall.web.access.Reader) may search; None is anonymous.

    The decision itself is web.access.can_read's (public archives for now; the login
    work extends it with members), so search, pages, feeds and exports never disagree.
    `settings` is taken so a config policy can join in without changing callers.
    """
    # Imported here: web depends on search, not the other way round at import time.
    from replyall.web import access

    del settings
    reader = user if user is not None else access.Reader()
    return access.readable_archive_ids(session, reader)
