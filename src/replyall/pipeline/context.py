"""What the steps share while one raw message goes through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.models import Archive, Message, RawMessage, SenderBan, Thread

if TYPE_CHECKING:
    from replyall.cleaning import Cleaned
    from replyall.mail.mime import ParsedMessage


@dataclass
class Context:
    session: Session
    settings: Settings
    clock: Clock
    raw: RawMessage
    archive: Archive
    parsed: ParsedMessage | None = None
    kind: str = "normal"
    cleaned: Cleaned | None = None
    message: Message | None = None
    thread: Thread | None = None
    parent: Message | None = None
    thread_reason: str = "new"
    #: The ban that covers the sender (screen step): a message arriving now is hidden.
    ban: SenderBan | None = None
    #: reindex --full runs the pipeline again over the raw mail and then restores what
    #: people decided (hidden, redacted): the steps must not decide it a second time.
    replaying: bool = False
    #: Free-form facts steps hand to later steps (kept small and documented where set).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return self.raw.message_id
