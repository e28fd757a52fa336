"""Import existing mail (mbox/mboxrd, .gz, maildir, .eml) through store_raw() and the same pipeline as SMTP."""

from __future__ import annotations

import gzip
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.engine import Database
from replyall.db.models import RawMessage
from replyall.intake.store import message_id_of, store_raw
from replyall.mail.headers import message_id_hash

log = logging.getLogger(__name__)

SOURCE = "import"

# The "From " line that starts each message of an mbox. Besides "From ", we ask for an
# asctime-style hh:mm, which every writer puts there (mutt, Thunderbird "From - ...",
# git format-patch, Mailman, public-inbox), so an unescaped "From " at the start of a
# body line in a sloppy mboxo file does not split a message in two.
_FROM_LINE = re.compile(rb"^From \S*.*\d{1,2}:\d\d")
# mboxrd (and mboxo, for the one case mboxo escapes) writes "From " in a body as
# ">From ", ">From " as ">>From ", ...: reading removes one ">" (the mboxrd rule).
_QUOTED_FROM = re.compile(rb"^>+From ")


class UnreadableInput(Exception):
    """A path we cannot import (missing, or holding no mail); the message says which and why."""


@dataclass
class Source:
    """One input path, its size on disk (for the progress bar) and what kind of mail store it is."""

    path: Path
    size: int
    kind: str  # "mbox", "maildir", "eml-dir", "eml"


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    #: (where, reason) for messages that could not be stored, or were stored but failed processing.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Status of the messages this run stored, after processing: done / discarded / failed / pending.
    statuses: Counter[str] = field(default_factory=Counter)

    unstored: int = 0

    @property
    def seen(self) -> int:
        return self.imported + self.duplicates + self.unstored


# --- reading ------------------------------------------------------------------------


@contextmanager
def _open(path: Path) -> Iterator[tuple[BinaryIO, Callable[[], int]]]:
    """The file's (decompressed) bytes, and a function giving how far into the file on disk we are."""
    raw = open(path, "rb")  # noqa: SIM115 - closed below
    try:
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream, raw.tell  # compressed bytes read: matches the size on disk
        else:
            raw.seek(0)
            yield raw, raw.tell
    finally:
        raw.close()


def iter_mbox(stream: BinaryIO) -> Iterator[bytes]:
    """Messages of an mbox (mboxo or mboxrd), one at a time, without the "From " line.

    Streams: only the current message is held in memory, whatever the file size.
    """
    lines: list[bytes] = []
    started = False
    for line in stream:
        if _FROM_LINE.match(line) and (not started or not lines or lines[-1] in (b"\n", b"\r\n")):
            if started:
                yield _finish(lines)
            lines, started = [], True
            continue
        if not started:
            if line.strip():
                raise UnreadableInput("not an mbox file (it does not start with a 'From ' line)")
            continue
        if _QUOTED_FROM.match(line):
            line = line[1:]
        lines.append(line)
    if started:
        yield _finish(lines)


def _finish(lines: list[bytes]) -> bytes:
    # The writer put one empty line between messages; it is not part of the message.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    return b"".join(lines)


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _maildir_files(path: Path) -> Iterator[Path]:
    for sub in ("new", "cur"):  # tmp/ holds deliveries in progress: never ours to take
        for name in sorted(os.listdir(path / sub)):
            file = path / sub / name
            if not name.startswith(".") and file.is_file():
                yield file


def _eml_files(path: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(".eml"):
                yield Path(root) / name


def describe(path: Path) -> Source:
    """What kind of input PATH is; raises UnreadableInput with a clear reason if it is none."""
    if not path.exists():
        raise UnreadableInput(f"{path}: no such file or directory")
    if _is_maildir(path):
        return Source(path, sum(f.stat().st_size for f in _maildir_files(path)), "maildir")
    if path.is_dir():
        size = sum(f.stat().st_size for f in _eml_files(path))
        if size == 0 and not any(True for _ in _eml_files(path)):
            raise UnreadableInput(f"{path}: a directory that is neither a maildir (cur/, new/) nor holds .eml files")
        return Source(path, size, "eml-dir")
    with _open(path) as (stream, _):
        head = stream.read(5)
    return Source(path, path.stat().st_size, "mbox" if head == b"From " else "eml")


def iter_source(source: Source) -> Iterator[tuple[str, bytes, int]]:
    """(where, message bytes, bytes of the input consumed so far) for every message in SOURCE."""
    if source.kind == "mbox":
        with _open(source.path) as (stream, position):
            for n, data in enumerate(iter_mbox(stream), 1):
                yield f"{source.path} #{n}", data, position()
    elif source.kind == "eml":
        with _open(source.path) as (stream, _):
            data = stream.read()
        yield str(source.path), data, source.size
    else:
        done = 0
        files = _maildir_files(source.path) if source.kind == "maildir" else _eml_files(source.path)
        for file in files:
            data = file.read_bytes()
            done += file.stat().st_size
            yield str(file), data, done


# --- storing --------------------------------------------------------------------------


def _store_batch(session: Session, archive_id: int, batch: list[tuple[str, bytes]], clock: Clock) -> tuple[int, int]:
    """Store what the archive does not hold yet; returns (imported, duplicates).

    A copy we already hold is only counted: unlike an SMTP redelivery it is not a
    new delivery, so importing the same file twice changes nothing at all.
    """
    hashes = [message_id_hash(message_id_of(data)[0]) for _, data in batch]
    held = set(
        session.scalars(
            select(RawMessage.message_id_hash).where(
                RawMessage.archive_id == archive_id, RawMessage.message_id_hash.in_(set(hashes))
            )
        )
    )
    imported = duplicates = 0
    for (_, data), mid_hash in zip(batch, hashes):
        if mid_hash in held:
            duplicates += 1
            continue
        store_raw(session, archive_id, data, clock=clock, source=SOURCE)
        held.add(mid_hash)
        imported += 1
    return imported, duplicates


def _store(db: Database, archive_id: int, batch: list[tuple[str, bytes]], clock: Clock, result: ImportResult) -> None:
    try:
        with db.transaction() as session:
            imported, duplicates = _store_batch(session, archive_id, batch, clock)
    except Exception as exc:  # noqa: BLE001 - find the one message at fault; store the others
        if len(batch) == 1:
            where = batch[0][0]
            log.exception("import: could not store", extra={"where": where})
            result.failed.append((where, f"not stored: {type(exc).__name__}: {exc}"[:500]))
            result.unstored += 1
            return
        for item in batch:
            _store(db, archive_id, [item], clock, result)
        return
    result.imported += imported
    result.duplicates += duplicates


def import_paths(
    db: Database,
    settings: Settings,
    clock: Clock,
    archive_id: int,
    paths: Iterable[Path],
    *,
    process: bool = True,
    batch_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
    started: Callable[[int], None] | None = None,
) -> ImportResult:
    """Store every message in PATHS into the archive, process it, and report.

    `started(total_bytes)` is called once the inputs are known; `progress(messages,
    bytes)` after every batch. Batches share one transaction (one fsync) each;
    processing runs after every batch, so the pending queue (and memory) stays small.
    """
    sources = [describe(Path(p)) for p in paths]
    if started is not None:
        started(sum(s.size for s in sources))
    with db.reader() as session:
        first_new = (session.scalar(select(func.max(RawMessage.id))) or 0) + 1
    result = ImportResult()
    done_before = 0
    from replyall.pipeline.runner import drain  # the pipeline pulls in the cleaners: load only when used

    for source in sources:
        batch: list[tuple[str, bytes]] = []
        consumed = 0
        for where, data, consumed in iter_source(source):
            batch.append((where, data))
            if len(batch) >= batch_size:
                _flush(db, settings, clock, archive_id, batch, result, process, drain)
                batch = []
                if progress is not None:
                    progress(result.seen, done_before + consumed)
        if batch:
            _flush(db, settings, clock, archive_id, batch, result, process, drain)
        done_before += source.size
        if progress is not None:
            progress(result.seen, done_before)
    _report_processing(db, archive_id, first_new, result)
    return result


def _flush(db, settings, clock, archive_id, batch, result, process, drain) -> None:
    _store(db, archive_id, batch, clock, result)
    if process:
        drain(db, settings, clock)


def _report_processing(db: Database, archive_id: int, first_new: int, result: ImportResult) -> None:
    mine = (RawMessage.archive_id == archive_id, RawMessage.source == SOURCE, RawMessage.id >= first_new)
    with db.reader() as session:
        result.statuses = Counter(
            dict(session.execute(select(RawMessage.status, func.count()).where(*mine).group_by(RawMessage.status)).all())
        )
        for raw_id, mid, error in session.execute(
            select(RawMessage.id, RawMessage.message_id, RawMessage.error)
            .where(*mine, RawMessage.status == "failed")
            .order_by(RawMessage.id)
        ):
            result.failed.append((f"raw {raw_id} <{mid}>", error or "unknown"))
