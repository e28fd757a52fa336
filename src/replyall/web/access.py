"""Who may read which archive: the one place the decision is made (pages, API, feeds, exports, raw).

Public archives are readable by everyone; a members-only archive by the addresses
replyall.members admits (signed in by emailed link, replyall.web.auth). Everyone
else is answered with 404, never 403, so its existence does not leak. Every route
goes through here. The one 403 is for originals (check_originals): the archive is
public, but its raw messages carry the addresses its pages hide from anonymous readers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from replyall.db.models import Archive
from replyall.web.deps import SessionDep, SettingsDep


class Reader:
    """The person making the request: anonymous, or an address signed in by emailed link."""

    def __init__(
        self, address: str | None = None, archive_ids: frozenset[int] = frozenset(), is_admin: bool = False
    ) -> None:
        self.address = address
        self.anonymous = address is None
        #: Every archive this person may read, as replyall.members decides (public ones included).
        self.archive_ids = archive_ids
        self.is_admin = is_admin


def get_reader(request: Request, session: SessionDep, settings: SettingsDep) -> Reader:
    from replyall.web.auth import current_user

    user = current_user(request, session, settings)
    if user is None:
        return Reader()
    return Reader(user.address, user.archive_ids, user.is_admin)


ReaderDep = Annotated[Reader, Depends(get_reader)]


def can_read(archive: Archive, reader: Reader) -> bool:
    # Members-only: the signed-in address was on the archive's mail, or is allowed
    # by configuration (replyall.members.may_read); everyone else gets a 404.
    return archive.visibility == "public" or archive.id in reader.archive_ids


def obfuscates(archive: Archive, reader: Reader, obfuscate_setting: bool) -> bool:
    """Addresses are hidden from anonymous readers of public archives when configured."""
    return obfuscate_setting and archive.visibility == "public" and reader.anonymous


#: Why an anonymous reader of a public archive gets no original messages (403).
ORIGINALS_HIDDEN = (
    "Original messages carry everyone's email addresses, which this archive shows only to "
    "people who have signed in. Sign in to download them."
)


def check_originals(archive: Archive, reader: Reader, obfuscate_setting: bool) -> None:
    """Raw downloads (.eml, mbox, API raw) only where addresses are shown in full.

    The bytes as received cannot be obfuscated (addresses also sit in encoded names,
    base64 bodies and attachments), so where the pages hide addresses from the
    public, the originals go to signed-in readers only; otherwise one download
    would undo the obfuscation for every address-harvesting crawler.
    """
    if obfuscates(archive, reader, obfuscate_setting):
        raise HTTPException(status_code=403, detail=ORIGINALS_HIDDEN)


def readable_archives(session: Session, reader: Reader) -> list[Archive]:
    archives = session.scalars(select(Archive).order_by(Archive.name, Archive.slug)).all()
    return [a for a in archives if can_read(a, reader)]


def readable_archive_ids(session: Session, reader: Reader) -> list[int]:
    return [a.id for a in readable_archives(session, reader)]


def not_found(what: str = "Page") -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} not found")


def check_readable(archive: Archive | None, reader: Reader, what: str = "Page") -> Archive:
    """The archive if this reader may see it; otherwise 404 (the same answer as 'no such thing')."""
    if archive is None or not can_read(archive, reader):
        raise not_found(what)
    return archive


def readable_archive(slug: str, session: SessionDep, reader: ReaderDep) -> Archive:
    """Dependency for routes with a {slug} path parameter."""
    archive = session.scalars(select(Archive).where(Archive.slug == slug)).first()
    return check_readable(archive, reader, "Archive")


ArchiveDep = Annotated[Archive, Depends(readable_archive)]


class View:
    """Per-request display rules for one archive: address obfuscation applied to every field."""

    def __init__(self, archive: Archive, reader: Reader, obfuscate_setting: bool) -> None:
        from replyall.web.templating import obfuscate_address, obfuscate_text

        self.archive = archive
        self.hide = obfuscates(archive, reader, obfuscate_setting)
        self._address, self._text = obfuscate_address, obfuscate_text

    def address(self, address: str) -> str:
        return self._address(address) if self.hide else address

    def who(self, name: str, address: str) -> str:
        """A display name; never the raw address when addresses are hidden."""
        # The name too: broken From headers put the address inside the display name.
        return self.text(name.strip()) if name and name.strip() else self.address(address)

    def text(self, value: str) -> str:
        return self._text(value) if self.hide else (value or "")


def make_view(archive: Archive, reader: Reader, settings: SettingsDep) -> View:
    return View(archive, reader, settings.web.obfuscate_addresses)


def archive_view(archive: ArchiveDep, reader: ReaderDep, settings: SettingsDep) -> View:
    return make_view(archive, reader, settings)


ViewDep = Annotated[View, Depends(archive_view)]
