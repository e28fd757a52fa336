"""Messages as a page shows them: every display string worked out once, in Python, before rendering.

A 200-message thread used to spend most of its time in Jinja, calling helpers and
filters for each message (sender, dates, links, "has the subject changed?", "does
the original hold anything new?"). Here each value is computed once into a plain
object and the template only lays it out. The strings stay plain str, escaped by the
template's autoescape on output, except a message's texts: richtext.render escapes
them itself and adds the links and quote blocks, so they arrive as Markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from replyall.mail.pictures import ATTACHED, LAYOUT, placed, roles
from replyall.web.present import KIND_LABELS, MAX_DEPTH, reason_text, show_original
from replyall.web.richtext import render


@dataclass(slots=True)
class Part:
    """An expandable piece of a message (quoted text, signature, disclaimer, the original)."""

    label: str
    text: str
    minor: bool = False


@dataclass(slots=True)
class AttachmentLink:
    url: str
    name: str
    content_type: str
    size: int | None


@dataclass(slots=True)
class Shown:
    """One message (or the placeholder of one the archive never received) ready to lay out."""

    anchor: str  # message_id_hash: the element id and the permalink key
    indent: int
    ghost: bool
    first: bool = False
    auto: str = ""  # "Automatic reply" etc.: shown collapsed
    sender: str = ""
    domain: str = ""
    when: str = ""
    when_iso: str = ""
    subject: str | None = None  # only when a reply renamed the conversation
    hidden: bool = False
    redacted: bool = False
    body: str = ""  # Markup from richtext.render; empty: "no text of its own"
    parts: tuple[Part, ...] = ()
    attachments: tuple[AttachmentLink, ...] = ()
    pictures: tuple[AttachmentLink, ...] = ()  # laid out outside the body (pictures.LAYOUT): folded
    permalink: str = ""
    raw_url: str | None = None
    reason: str = ""
    admin_url: str | None = None


class Presenter:
    """Turns rows (ORM Messages or Core rows with the same column names) into Shown objects.

    view: the request's access.View (address obfuscation); dates: the localdate filter;
    url_for: templating.fast_url_for(app). The thread subject and the admin flag are
    per page, so they are decided once here rather than per message.
    """

    def __init__(self, view, dates: Callable, url_for: Callable, *, thread_subject: str, admin: bool,
                 always_original: bool = False) -> None:
        from replyall.mail.subject import normalize_subject

        self.view, self.dates, self.url_for = view, dates, url_for
        self.admin, self.always_original = admin, always_original
        self._normalize = normalize_subject
        self._thread_subject = normalize_subject(thread_subject or "")
        self._renamed: dict[str, bool] = {}

    @classmethod
    def for_request(cls, request, view, thread_subject: str, always_original: bool = False) -> Presenter:
        from replyall.web.templating import account, dates, fast_url_for

        return cls(view, dates(request), fast_url_for(request.app), thread_subject=thread_subject,
                   admin=account(request)["admin"], always_original=always_original)

    def renamed(self, subject: str) -> bool:
        """True when a reply renamed the conversation (not just "Re:"/"AW:" prefixes): worth showing.
        Remembered per subject line, which most replies share."""
        subject = subject or ""
        found = self._renamed.get(subject)
        if found is None:
            found = self._renamed[subject] = self._normalize(subject) != self._thread_subject
        return found

    def one(self, m, depth: int, attachments, *, first: bool = False, subject: bool = True) -> Shown:
        url_for, view = self.url_for, self.view
        indent = min(depth, MAX_DEPTH)
        if m.is_ghost:
            return Shown(m.message_id_hash, indent, True)
        sender = view.who(m.from_name, m.from_address)
        shown = Shown(
            anchor=m.message_id_hash, indent=indent, ghost=False, first=first, auto=KIND_LABELS.get(m.kind, ""),
            sender=sender, domain=m.from_address.rpartition("@")[2] if m.from_address else "",
            when=self.dates(m.date), when_iso=m.date.isoformat() if m.date is not None else "",
            subject=(m.subject or "(no subject)") if subject and not m.hidden and self.renamed(m.subject) else None,
            hidden=m.hidden, redacted=m.redacted,
            permalink=url_for("message_page", mid_hash=m.message_id_hash),
            # No original where addresses are hidden from this reader (access.check_originals).
            raw_url=url_for("message_raw", mid_hash=m.message_id_hash) if not (m.hidden or view.hide) and m.raw_id else None,
            reason=reason_text(m.thread_reason),
            admin_url=url_for("admin_goto_message", mid_hash=m.message_id_hash) if self.admin else None,
        )
        if m.hidden:  # moderators hid it: nothing of its content leaves the server
            return shown
        links = [AttachmentLink(url_for("message_attachment", mid_hash=m.message_id_hash, position=a.position),
                                a.filename or f"attachment {a.position + 1}", a.content_type, a.size) for a in attachments]
        # A picture whose mark stands in the author's words was pasted there: shown in place.
        where = {start: (links[i].url, links[i].name) for start, _, i in placed(m.body, attachments)}
        shown.body = render(m.body, view.text, pictures=where) if m.body.strip() else ""
        # The quoted text is all quote already: its ">" lines need no second frame.
        parts = [Part(label, render(text, view.text, quotes=False)) for text, label in (
            (m.quote, "Show quoted text"), (m.signature, "Show signature"), (m.disclaimer, "Show disclaimer"))
            if text and text.strip()]
        if show_original(m, self.always_original):
            parts.append(Part("Show the message as it was written, before cleaning",
                              render(m.original, view.text, quotes=False), True))
        shown.parts = tuple(parts)
        kinds = roles(m.body, m.original, attachments) if attachments else []
        shown.attachments = tuple(link for link, kind in zip(links, kinds) if kind == ATTACHED)
        shown.pictures = tuple(link for link, kind in zip(links, kinds) if kind == LAYOUT)
        return shown
