"""search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL, backfilled

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 11:50:00

Hand-written: the index is not described by the models (replyall.db.migrate's
UNMANAGED_PREFIXES leaves every table named search_fts* out of the drift check).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        # Columns in the order replyall.search.compile.FTS5_COLUMNS expects. The text
        # arrives already folded by replyall.search.text; unicode61 with diacritics
        # removed is kept so that text written by anything else still folds the same.
        # Prefix indexes for 2 and 3 characters make short `budg*` searches cheap.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "subject, sender, to_addr, cc_addr, body, quote, filenames, "
            "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )
        # FTS5 tables cannot carry a foreign key: a trigger drops the entry of a
        # deleted message, so no path that deletes messages can leave text behind.
        op.execute(
            "CREATE TRIGGER search_fts_message_deleted AFTER DELETE ON messages "
            "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END"
        )
    else:
        op.execute(
            "CREATE TABLE search_fts ("
            "message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE, "
            "doc tsvector NOT NULL, rcpt tsvector NOT NULL, quote tsvector NOT NULL)"
        )
        for column in ("doc", "rcpt", "quote"):
            op.execute(f"CREATE INDEX search_fts_{column}_gin ON search_fts USING gin ({column})")
    # Backfill: the index is derived data, built by the same code the pipeline uses.
    from replyall.search.indexer import rebuild

    rebuild(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_fts_message_deleted")
    op.execute("DROP TABLE IF EXISTS search_fts")
