"""digest subscribers and claims: who gets the daily summary, and one claim row per (archive, day, subscriber)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 11:29:13.922827
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import replyall.db.models  # noqa: F401  (UTCDateTime column type)


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('subscribers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('archive_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', replyall.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirm_sent_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('bounced_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_subscribers_archive_id_archives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscribers')),
    sa.UniqueConstraint('archive_id', 'address', name='uq_subscribers_archive_address')
    )
    op.create_table('digest_claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('archive_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('subscriber_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claimed_at', replyall.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_digest_claims_archive_id_archives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], name=op.f('fk_digest_claims_subscriber_id_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_claims')),
    sa.UniqueConstraint('archive_id', 'day', 'subscriber_id', name='uq_digest_claims_archive_day_subscriber')
    )
    with op.batch_alter_table('digest_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_claims_subscriber_id'), ['subscriber_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('digest_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_claims_subscriber_id'))

    op.drop_table('digest_claims')
    op.drop_table('subscribers')
