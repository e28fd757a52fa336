"""has_attachments joins the search covering index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 15:35:00

`has:attachment` is checked while ranking (replyall.search.engine); outside the index
it meant reading each candidate's row, past a long body's overflow pages on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ['id', 'archive_id', 'thread_id', 'date', 'kind', 'hidden', 'redacted', 'is_ghost', 'duplicate_of_id']


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_search')
        batch_op.create_index('ix_messages_search', BEFORE + ['has_attachments'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_search')
        batch_op.create_index('ix_messages_search', BEFORE, unique=False)
