"""Keep the archives table in step with [[archives]] in the config, and look addresses up."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.models import Archive


def sync_archives(session: Session, settings: Settings, clock: Clock) -> dict[str, int]:
    """Insert or update one row per configured archive; returns slug -> id.

    Archives removed from the config keep their rows (and mail): deleting an
    archive is an explicit admin act, never a side effect of editing a file.
    """
    existing = {a.slug: a for a in session.scalars(select(Archive))}
    for conf in settings.archives:
        row = existing.get(conf.slug)
        if row is None:
            row = Archive(slug=conf.slug, created_at=clock.now())
            session.add(row)
            existing[conf.slug] = row
        row.name, row.description, row.visibility = conf.name, conf.description, conf.visibility
    session.flush()
    return {slug: row.id for slug, row in existing.items()}
