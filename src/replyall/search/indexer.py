"""Keep search_fts in step with messages: index one message, drop one, rebuild everything.

search_fts is derived data (rebuildable from messages by `rebuild`). On SQLite it is
an FTS5 table whose rowid is messages.id; on PostgreSQL a table of three tsvectors
keyed by message_id (ON DELETE CASCADE) with a GIN index on each. Both receive text
already split and folded by replyall.search.text, so the engines see the same tokens.
Nothing here commits: callers own the transaction (the pipeline's, a CLI command's).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from replyall.cleaning.quotes import split_answers
from replyall.db.models import Message
from replyall.mail.pictures import shared_files
from replyall.search.text import index_text

#: The text config for to_tsvector/to_tsquery. 'simple' (lower-case, no stemming, no
#: stop words) rather than 'english': these archives mix names, addresses, council
#: jargon and Welsh/Polish/Urdu speakers' mail, and English stemming mangles names
#: ("Jones" -> "jone") and drops words like "will" or "may" that are names too. It also
#: matches FTS5's unicode61 on SQLite (no stemmer), so a query finds the same messages
#: on both; people who want word families use prefixes (`council*`).
PG_CONFIG = "simple"


@dataclass(frozen=True)
class Document:
    """The searchable fields of one message, as index_text() strings."""

    message_id: int
    subject: str
    sender: str
    to_addr: str
    cc_addr: str
    body: str
    quote: str
    filenames: str

    @classmethod
    def build(
        cls,
        message_id: int,
        *,
        subject: str | None,
        from_name: str | None,
        from_address: str | None,
        to: Any,
        cc: Any,
        body: str | None,
        quote: str | None,
        filenames: Iterable[str],
    ) -> Document:
        # The lines an interleaved answer quotes are someone else's words: found, like any
        # quote, with quoted:, and not as what this message says.
        body, answered = split_answers(body or "")
        return cls(
            message_id=message_id,
            subject=index_text(subject or ""),
            sender=index_text(f"{from_name or ''} {from_address or ''}"),
            to_addr=index_text(_people(to)),
            cc_addr=index_text(_people(cc)),
            body=index_text(body),
            quote=index_text("\n".join(t for t in (answered, quote or "") if t)),
            filenames=index_text(" ".join(f for f in filenames if f)),
        )


def _people(value: Any) -> str:
    # to/cc are JSON lists of [name, address]; raw SQL hands them over as JSON text.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return " ".join(" ".join(str(part) for part in pair if part) for pair in value or [] if isinstance(pair, (list, tuple)))


def searchable(message: Message) -> bool:
    """Ghosts have no text; hidden and redacted messages must not be findable at all."""
    return not (message.is_ghost or message.hidden or message.redacted)


def _dialect(conn: Session | Connection) -> str:
    return conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name


def index_message(session: Session, message: Message) -> None:
    """Add or replace the index entry of one message (or drop it if it must not be found)."""
    session.flush()
    if not searchable(message):
        unindex_message(session, message.id)
        return
    doc = Document.build(
        message.id,
        subject=message.subject,
        from_name=message.from_name,
        from_address=message.from_address,
        to=message.to,
        cc=message.cc,
        body=message.body,
        quote=message.quote,
        filenames=[a.filename for a in shared_files(message.body, message.original, message.attachments)],
    )
    write_documents(session, [doc], replace=True)


def unindex_message(session: Session, message_id: int) -> None:
    """Remove one message from the index (redaction, hiding, deletion)."""
    column = "rowid" if _dialect(session) == "sqlite" else "message_id"
    session.execute(text(f"DELETE FROM search_fts WHERE {column} = :id"), {"id": message_id})


_SQLITE_INSERT = (
    "INSERT INTO search_fts (rowid, subject, sender, to_addr, cc_addr, body, quote, filenames) "
    "VALUES (:message_id, :subject, :sender, :to_addr, :cc_addr, :body, :quote, :filenames)"
)
_PG_INSERT = f"""
INSERT INTO search_fts (message_id, doc, rcpt, quote) VALUES (
  :message_id,
  setweight(to_tsvector('{PG_CONFIG}', :subject), 'A') || setweight(to_tsvector('{PG_CONFIG}', :sender), 'B')
    || setweight(to_tsvector('{PG_CONFIG}', :filenames), 'C') || setweight(to_tsvector('{PG_CONFIG}', :body), 'D'),
  setweight(to_tsvector('{PG_CONFIG}', :to_addr), 'A') || setweight(to_tsvector('{PG_CONFIG}', :cc_addr), 'B'),
  to_tsvector('{PG_CONFIG}', :quote)
) ON CONFLICT (message_id) DO UPDATE SET doc = excluded.doc, rcpt = excluded.rcpt, quote = excluded.quote
"""


def write_documents(conn: Session | Connection, docs: Sequence[Document], *, replace: bool) -> None:
    """Insert many documents in one executemany; `replace` drops old SQLite rows first."""
    if not docs:
        return
    rows = [doc.__dict__ for doc in docs]
    if _dialect(conn) == "sqlite":
        if replace:
            # FTS5 has no upsert; a DELETE then INSERT in the same transaction is atomic.
            conn.execute(text("DELETE FROM search_fts WHERE rowid = :message_id"), rows)
        conn.execute(text(_SQLITE_INSERT), rows)
    else:
        conn.execute(text(_PG_INSERT), rows)


_MESSAGES_BATCH = """
SELECT id, subject, from_name, from_address, "to", cc, body, quote, original
FROM messages
WHERE id > :after AND is_ghost = :no AND hidden = :no AND redacted = :no
ORDER BY id LIMIT :limit
"""


def rebuild(conn: Session | Connection, *, batch: int = 1000) -> int:
    """Empty the index and index every searchable message again; returns how many.

    Reads named columns with plain SQL (not the ORM model) so that the migration that
    creates the index can call it on a database whose later columns do not exist yet.
    """
    conn.execute(text("DELETE FROM search_fts"))
    after, total = 0, 0
    while True:
        rows = conn.execute(text(_MESSAGES_BATCH), {"after": after, "no": False, "limit": batch}).all()
        if not rows:
            break
        ids = [r.id for r in rows]
        parts: dict[int, list[Any]] = defaultdict(list)
        stmt = text("SELECT message_id, filename, content_id, content_type FROM attachments "
                    "WHERE message_id >= :lo AND message_id <= :hi ORDER BY message_id, position")
        for part in conn.execute(stmt, {"lo": ids[0], "hi": ids[-1]}):
            parts[part.message_id].append(part)
        docs = [
            Document.build(
                r.id, subject=r.subject, from_name=r.from_name, from_address=r.from_address,
                to=r.to, cc=r.cc, body=r.body, quote=r.quote,
                filenames=[p.filename or "" for p in shared_files(r.body or "", r.original or "", parts.get(r.id, []))],
            )
            for r in rows
        ]
        write_documents(conn, docs, replace=False)
        total += len(docs)
        after = ids[-1]
    if _dialect(conn) == "sqlite":
        # Merge FTS5's segment b-trees into one: fewer b-trees to probe per query.
        conn.execute(text("INSERT INTO search_fts (search_fts) VALUES ('optimize')"))
    return total
