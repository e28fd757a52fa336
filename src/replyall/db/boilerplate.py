"""DbBoilerplateStore: the learned-boilerplate sightings of one archive, in the database."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.db.models import BoilerplateBlock, BoilerplateSighting

__all__ = ["DbBoilerplateStore", "learned_blocks"]


class DbBoilerplateStore:
    """cleaning.boilerplate.BoilerplateStore over boilerplate_sightings / boilerplate_blocks.

    Writes go through the caller's session and are never committed here: the
    pipeline's per-message transaction (or reindex's per-batch one) owns them, so a
    message that fails leaves no sightings behind. Counts are cached for the life of
    the store (one message, or one batch) and dropped for a fingerprint when it is
    recorded again.
    """

    def __init__(self, session: Session, archive_id: int, clock: Clock) -> None:
        self.session = session
        self.archive_id = archive_id
        self.clock = clock
        self._insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        self._counts: dict[tuple[str, str], int] = {}

    def record(self, scope: str, fingerprint: str, sender: str, sample: str) -> None:
        now = self.clock.now()
        # ON CONFLICT keeps both statements idempotent and safe when two workers see
        # the same block at once (PostgreSQL), without a read-then-write race.
        self.session.execute(
            self._insert(BoilerplateSighting)
            .values(archive_id=self.archive_id, scope=scope, fingerprint=fingerprint, sender=sender[:320], first_seen=now)
            .on_conflict_do_nothing()
        )
        block = self._insert(BoilerplateBlock).values(
            archive_id=self.archive_id,
            fingerprint=fingerprint,
            sample=sample,
            line_count=sample.count("\n") + 1,
            first_seen=now,
            last_seen=now,
        )
        self.session.execute(
            block.on_conflict_do_update(index_elements=["archive_id", "fingerprint"], set_={"last_seen": now})
        )
        self._counts.pop((scope, fingerprint), None)

    def sender_count(self, scope: str, fingerprint: str) -> int:
        key = (scope, fingerprint)
        if key not in self._counts:
            self._counts[key] = self.session.scalar(
                select(func.count()).select_from(BoilerplateSighting).where(
                    BoilerplateSighting.archive_id == self.archive_id,
                    BoilerplateSighting.scope == scope,
                    BoilerplateSighting.fingerprint == fingerprint,
                )
            ) or 0
        return self._counts[key]


def learned_blocks(session: Session, archive_id: int, *, min_senders: int = 2, limit: int = 100) -> list[tuple[str, str, int]]:
    """(scope, sample, distinct senders) of the blocks seen from at least `min_senders`, most seen first."""
    senders = func.count(BoilerplateSighting.sender)
    stmt = (
        select(BoilerplateSighting.scope, BoilerplateBlock.sample, senders)
        .join(
            BoilerplateBlock,
            (BoilerplateBlock.archive_id == BoilerplateSighting.archive_id)
            & (BoilerplateBlock.fingerprint == BoilerplateSighting.fingerprint),
        )
        .where(BoilerplateSighting.archive_id == archive_id)
        .group_by(BoilerplateSighting.scope, BoilerplateSighting.fingerprint, BoilerplateBlock.sample)
        .having(senders >= min_senders)
        .order_by(senders.desc(), BoilerplateSighting.scope)
        .limit(limit)
    )
    return [(scope, sample, n) for scope, sample, n in session.execute(stmt)]
