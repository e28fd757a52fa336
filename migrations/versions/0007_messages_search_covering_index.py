"""messages search covering index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 12:09:35.443319

Search looks its candidate messages up through this index (replyall.search.engine)
instead of reading each message row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import replyall.db.models


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_search', ['id', 'archive_id', 'thread_id', 'date', 'kind', 'hidden', 'redacted', 'is_ghost', 'duplicate_of_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_search')

