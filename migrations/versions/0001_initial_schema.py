"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 11:23:38.767985
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import replyall.db.models  # noqa: F401  (UTCDateTime column type)
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('archives',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('created_at', replyall.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archives')),
    sa.UniqueConstraint('slug', name=op.f('uq_archives_slug'))
    )
    op.create_table('raw_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('archive_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.Text(), nullable=False),
    sa.Column('message_id_hash', sa.String(length=32), nullable=False),
    sa.Column('message_id_derived', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('envelope_from', sa.Text(), nullable=False),
    sa.Column('envelope_to', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('peer', sa.Text(), nullable=False),
    sa.Column('received_at', replyall.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('raw', sa.LargeBinary().with_variant(postgresql.BYTEA(), 'postgresql'), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('delivery_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('processed_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_raw_messages_archive_id_archives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_messages')),
    sa.UniqueConstraint('archive_id', 'message_id_hash', name='uq_raw_messages_archive_mid')
    )
    with op.batch_alter_table('raw_messages', schema=None) as batch_op:
        batch_op.create_index('ix_raw_messages_status_id', ['status', 'id'], unique=False)

    op.create_table('threads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('archive_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('subject_key', sa.String(length=32), nullable=False),
    sa.Column('conversation_key', sa.String(length=64), nullable=True),
    sa.Column('started_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_count', sa.Integer(), nullable=False),
    sa.Column('participant_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_threads_archive_id_archives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_threads')),
    sa.UniqueConstraint('key', name=op.f('uq_threads_key'))
    )
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.create_index('ix_threads_archive_activity', ['archive_id', 'last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_threads_conversation_key'), ['conversation_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_threads_subject_key'), ['subject_key'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('archive_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('raw_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('duplicate_of_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('message_id', sa.Text(), nullable=False),
    sa.Column('message_id_hash', sa.String(length=32), nullable=False),
    sa.Column('is_ghost', sa.Boolean(), nullable=False),
    sa.Column('thread_reason', sa.String(length=16), nullable=False),
    sa.Column('in_reply_to', sa.Text(), nullable=True),
    sa.Column('references', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('thread_index', sa.Text(), nullable=True),
    sa.Column('conversation_key', sa.String(length=64), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('subject_key', sa.String(length=32), nullable=False),
    sa.Column('from_name', sa.Text(), nullable=False),
    sa.Column('from_address', sa.String(length=320), nullable=False),
    sa.Column('to', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('cc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('date', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('date_offset', sa.Integer(), nullable=True),
    sa.Column('received_at', replyall.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.Column('disclaimer', sa.Text(), nullable=False),
    sa.Column('original', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('defects', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('has_attachments', sa.Boolean(), nullable=False),
    sa.Column('delivery_count', sa.Integer(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('redacted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_messages_archive_id_archives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['messages.id'], name=op.f('fk_messages_duplicate_of_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['messages.id'], name=op.f('fk_messages_parent_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['raw_id'], ['raw_messages.id'], name=op.f('fk_messages_raw_id_raw_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_messages_thread_id_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('archive_id', 'message_id_hash', name='uq_messages_archive_mid'),
    sa.UniqueConstraint('raw_id', name=op.f('uq_messages_raw_id'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_archive_date', ['archive_id', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_conversation_key'), ['conversation_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_from_address'), ['from_address'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_messages_thread_date', ['thread_id', 'date'], unique=False)

    op.create_table('thread_aliases',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_thread_aliases_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_thread_aliases'))
    )
    with op.batch_alter_table('thread_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_aliases_thread_id'), ['thread_id'], unique=False)

    op.create_table('thread_participants',
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_thread_participants_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'address', name=op.f('pk_thread_participants'))
    )
    with op.batch_alter_table('thread_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_participants_address'), ['address'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_id', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary().with_variant(postgresql.BYTEA(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_attachments_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_message_id'), ['message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_message_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('thread_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_participants_address'))

    op.drop_table('thread_participants')
    with op.batch_alter_table('thread_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_aliases_thread_id'))

    op.drop_table('thread_aliases')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_thread_date')
        batch_op.drop_index(batch_op.f('ix_messages_parent_id'))
        batch_op.drop_index(batch_op.f('ix_messages_from_address'))
        batch_op.drop_index(batch_op.f('ix_messages_conversation_key'))
        batch_op.drop_index('ix_messages_archive_date')

    op.drop_table('messages')
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_threads_subject_key'))
        batch_op.drop_index(batch_op.f('ix_threads_conversation_key'))
        batch_op.drop_index('ix_threads_archive_activity')

    op.drop_table('threads')
    with op.batch_alter_table('raw_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_raw_messages_status_id')

    op.drop_table('raw_messages')
    op.drop_table('archives')
