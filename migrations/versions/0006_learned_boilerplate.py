"""learned boilerplate: sightings per sender and scope, block samples

Starts empty: `replyall reindex` learns from the messages already archived and
re-cleans them with what it learned.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 11:31:48.250301
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import replyall.db.models  # noqa: F401  (UTCDateTime column type)


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('boilerplate_blocks',
    sa.Column('archive_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fingerprint', sa.String(length=40), nullable=False),
    sa.Column('sample', sa.Text(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('first_seen', replyall.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', replyall.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_boilerplate_blocks_archive_id_archives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('archive_id', 'fingerprint', name=op.f('pk_boilerplate_blocks'))
    )
    op.create_table('boilerplate_sightings',
    sa.Column('archive_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=40), nullable=False),
    sa.Column('sender', sa.String(length=320), nullable=False),
    sa.Column('first_seen', replyall.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_boilerplate_sightings_archive_id_archives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('archive_id', 'scope', 'fingerprint', 'sender', name=op.f('pk_boilerplate_sightings'))
    )


def downgrade() -> None:
    op.drop_table('boilerplate_sightings')
    op.drop_table('boilerplate_blocks')
