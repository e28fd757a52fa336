"""sender bans: what a banned sender sends arrives hidden

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 12:00:00

Starts empty: administrators ban senders from a message's admin page or from
/admin/bans. Existing messages are not touched; hiding what a sender already sent
is a separate, audited action.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import replyall.db.models  # noqa: F401  (UTCDateTime column type)


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sender_bans',
    sa.Column('archive_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pattern', sa.String(length=320), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', replyall.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_sender_bans_archive_id_archives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('archive_id', 'pattern', name=op.f('pk_sender_bans'))
    )


def downgrade() -> None:
    op.drop_table('sender_bans')
