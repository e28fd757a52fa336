"""has_attachments counts files people attached, not pictures laid out in the message

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 22:40:00

A picture with a Content-ID (an Outlook signature's logo and icons, a pasted
screenshot) is part of the message's layout: replyall.mail.pictures.is_embedded. The
store step now leaves those out of has_attachments (search's has:attachment); this
recomputes the flag of the messages already stored. Downgrade puts back the old
meaning, any attachment at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The SQL form of is_embedded(): a Content-ID and an image/* type.
_ATTACHED = (
    "EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = messages.id"
    " AND NOT (a.content_id IS NOT NULL AND a.content_id <> '' AND lower(a.content_type) LIKE 'image/%'))"
)


def upgrade() -> None:
    op.execute(f"UPDATE messages SET has_attachments = {_ATTACHED} WHERE has_attachments")


def downgrade() -> None:
    op.execute(
        "UPDATE messages SET has_attachments = EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = messages.id)"
    )

