"""Import of every input format through store_raw and the pipeline; a second run changes nothing."""

from __future__ import annotations

import gzip
import io
import mailbox
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.intake import make_message, raw_rows
from sqlalchemy import update

from replyall.cli import cli
from replyall.db.models import RawMessage
from replyall.intake.importer import UnreadableInput, import_paths, iter_mbox

FIRST = make_message("<imp-1@council.test>", subject="Flood response", body="First.\r\n")
SECOND = make_message("<imp-2@council.test>", subject="Re: Flood response",
                      body="From the council's side we are ready.\r\n>From a quoted line\r\n",
                      extra="In-Reply-To: <imp-1@council.test>\r\n")
THIRD = make_message("<imp-3@council.test>", subject="Re: Flood response", body="Thanks\r\n",
                     extra="In-Reply-To: <imp-2@council.test>\r\n")
MESSAGES = [FIRST, SECOND, THIRD]


def _mboxrd(messages: list[bytes]) -> bytes:
    """Write an mboxrd by its rules: every ^>*From  line gets one more '>'; a blank line after each message."""
    out = []
    for data in messages:
        out.append(b"From alice@council.test Thu Nov 19 10:00:00 2026\n")
        for line in io.BytesIO(data):
            stripped = line.lstrip(b">")
            out.append(b">" + line if stripped.startswith(b"From ") else line)
        out.append(b"\n")
    return b"".join(out)


def _archive_id(db, slug="comms-network") -> int:
    from replyall.db.models import Archive

    with db.reader() as s:
        return s.query(Archive.id).filter_by(slug=slug).scalar()


def _import(db, settings, clock, *paths, **kwargs):
    return import_paths(db, settings, clock, _archive_id(db), [Path(p) for p in paths], **kwargs)


def test_mboxrd_unescapes_from_lines(tmp_path, db, settings, clock):
    path = tmp_path / "list.mbox"
    path.write_bytes(_mboxrd(MESSAGES))
    assert b"\n>From the council" in path.read_bytes() and b"\n>>From a quoted" in path.read_bytes()
    result = _import(db, settings, clock, path)
    assert (result.imported, result.duplicates, result.unstored) == (3, 0, 0)
    assert [r.raw for r in raw_rows(db)] == MESSAGES
    assert sum(result.statuses.values()) == 3 and result.statuses.get("pending", 0) == 0
    assert all(r.source == "import" for r in raw_rows(db))


def test_mboxo_written_by_python_mailbox(tmp_path, db, settings, clock):
    path = tmp_path / "old.mbox"
    box = mailbox.mbox(path)
    for data in MESSAGES[:2]:
        box.add(mailbox.mboxMessage(data.replace(b"\r\n", b"\n").replace(b">From a quoted", b"Just a line")))
    box.flush()
    box.close()
    assert b"\n>From the council" in path.read_bytes()  # mboxo escaped it
    result = _import(db, settings, clock, path)
    assert result.imported == 2
    stored = raw_rows(db)
    assert b"\nFrom the council's side" in stored[1].raw
    assert stored[0].raw == FIRST.replace(b"\r\n", b"\n")


def test_gzipped_mbox(tmp_path, db, settings, clock):
    path = tmp_path / "list.mbox.gz"
    path.write_bytes(gzip.compress(_mboxrd(MESSAGES)))
    assert _import(db, settings, clock, path).imported == 3
    assert [r.raw for r in raw_rows(db)] == MESSAGES


def test_maildir(tmp_path, db, settings, clock):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for data in MESSAGES:
        box.add(data)
    (tmp_path / "Maildir" / "tmp" / "half-written").write_bytes(b"Subject: not yet\r\n")
    result = _import(db, settings, clock, tmp_path / "Maildir")
    assert result.imported == 3
    assert sorted(r.raw for r in raw_rows(db)) == sorted(MESSAGES)


def test_directory_of_eml_files_and_single_files(tmp_path, db, settings, clock):
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.eml").write_bytes(FIRST)
    (folder / "sub" / "b.EML").write_bytes(SECOND)
    (folder / "notes.txt").write_bytes(b"not mail")
    single = tmp_path / "third.eml"
    single.write_bytes(THIRD)
    result = _import(db, settings, clock, folder, single)
    assert result.imported == 3
    assert [r.raw for r in raw_rows(db)] == MESSAGES


def test_reimport_imports_nothing_new(tmp_path, db, settings, clock):
    path = tmp_path / "list.mbox.gz"
    path.write_bytes(gzip.compress(_mboxrd(MESSAGES + [FIRST])))  # the archive itself holds a copy twice
    first = _import(db, settings, clock, path)
    assert (first.imported, first.duplicates) == (3, 1)
    before = [(r.id, r.delivery_count, r.status, r.processed_at) for r in raw_rows(db)]
    again = _import(db, settings, clock, path)
    assert (again.imported, again.duplicates, len(again.failed)) == (0, 4, 0)
    assert [(r.id, r.delivery_count, r.status, r.processed_at) for r in raw_rows(db)] == before


def test_smtp_and_import_share_the_archive(tmp_path, db, settings, clock, live):
    live.send(FIRST)
    path = tmp_path / "list.mbox"
    path.write_bytes(_mboxrd(MESSAGES))
    result = _import(db, settings, clock, path)
    assert (result.imported, result.duplicates) == (2, 1)


def test_progress_reports_messages_and_bytes(tmp_path, db, settings, clock):
    path = tmp_path / "list.mbox"
    path.write_bytes(_mboxrd(MESSAGES * 1))
    calls: list[tuple[int, int]] = []
    totals: list[int] = []
    _import(db, settings, clock, path, batch_size=1, progress=lambda m, b: calls.append((m, b)), started=totals.append)
    assert totals == [path.stat().st_size]
    assert [m for m, _ in calls] == [1, 2, 3, 3]
    assert calls[-1][1] == path.stat().st_size
    assert [b for _, b in calls] == sorted(b for _, b in calls)


def test_mbox_is_read_one_message_at_a_time():
    class CountingStream(io.BytesIO):
        lines_read = 0

        def __iter__(self):
            for line in io.BytesIO(self.getvalue()):
                CountingStream.lines_read += 1
                yield line

    stream = CountingStream(_mboxrd(MESSAGES * 100))
    messages = iter_mbox(stream)
    assert next(messages) == FIRST
    # Only the first message and the next "From " line have been read, not 300 messages.
    assert CountingStream.lines_read == FIRST.count(b"\n") + 3


def test_not_mail_is_refused_with_a_reason(tmp_path, db, settings, clock):
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    with pytest.raises(UnreadableInput, match="neither a maildir"):
        _import(db, settings, clock, empty)


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "replyall.toml"
    path.write_text(
        f'environment = "production"\n[database]\nurl = "{url}"\n[web]\nsecret_key = "a-test-secret-that-is-long"\n'
        '[logging]\nlevel = "WARNING"\n'
        '[[archives]]\nslug = "comms-network"\nname = "Comms"\naddress = "comms-network@archive.example.org"\n'
    )
    return path


def test_cli_import_failed_and_retry(tmp_path, db, settings):
    config = _config(tmp_path, settings.database.url)
    mbox = tmp_path / "list.mbox"
    mbox.write_bytes(_mboxrd(MESSAGES))
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "import", "--archive", "comms-network", str(mbox)])
    assert result.exit_code == 0, result.output
    assert "imported 3, duplicates 0, failed 0" in result.output
    again = runner.invoke(cli, ["--config", str(config), "import", "--archive", "comms-network", str(mbox)])
    assert "imported 0, duplicates 3, failed 0" in again.output

    unknown = runner.invoke(cli, ["--config", str(config), "import", "--archive", "nope", str(mbox)])
    assert unknown.exit_code == 2 and "no archive 'nope'" in unknown.output

    # An admin's view of failures: make one fail as a step would have left it.
    target = raw_rows(db)[1]
    with db.transaction() as s:
        s.execute(update(RawMessage).where(RawMessage.id == target.id)
                  .values(status="failed", error="thread: RuntimeError: boom", attempts=5))
    listed = runner.invoke(cli, ["--config", str(config), "failed"])
    assert listed.exit_code == 0
    assert f"{target.id}\tcomms-network" in listed.output and "thread: RuntimeError: boom" in listed.output
    assert "<imp-2@council.test>" in listed.output

    usage = runner.invoke(cli, ["--config", str(config), "retry"])
    assert usage.exit_code == 2
    retried = runner.invoke(cli, ["--config", str(config), "retry", str(target.id), "99999"])
    assert "1 message(s) marked for processing" in retried.output
    assert "skipped 99999" in retried.output
    row = next(r for r in raw_rows(db) if r.id == target.id)
    assert row.status != "pending" and row.attempts == 1
    assert row.error != "thread: RuntimeError: boom"
    assert "no failed messages" in runner.invoke(cli, ["--config", str(config), "failed"]).output or row.status == "failed"
