"""Every message of the tricky corpus (tests/data/tricky) is accepted over SMTP, stored, and processed or failed with a reason."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from support.intake import raw_rows

from replyall.intake.store import message_id_of

TRICKY = Path(__file__).parents[2] / "data" / "tricky"
NOT_MAIL = {"README.md", "UPSTREAM-README.txt", "LICENSE-NOTE.txt", "index.json"}


def _corpus() -> list[Path]:
    files = sorted(p for p in TRICKY.rglob("*") if p.is_file() and p.name not in NOT_MAIL)
    assert len(files) > 200, "tests/data/tricky is missing or incomplete"
    return files


def test_every_tricky_message_is_accepted_stored_and_processed(live, db, settings, clock):
    files = _corpus()
    expected: dict[str, list[bytes]] = {}
    with live.client() as client:
        for path in files:
            data = path.read_bytes()
            refused = client.sendmail("sender@corpus.test", ["comms-network@archive.example.org"], data)
            assert refused == {}, path
            # smtplib ends DATA with CRLF: a message not ending in CRLF gains one on the wire.
            sent = data if data.endswith(b"\r\n") else data + b"\r\n"
            expected.setdefault(message_id_of(sent)[0], []).append(sent)

    rows = {r.message_id: r for r in raw_rows(db)}
    assert set(rows) == set(expected)
    for mid, copies in expected.items():
        row = rows[mid]
        # One raw copy per Message-ID (the first delivered, byte for byte); later copies only count.
        assert row.raw == copies[0], mid
        assert row.delivery_count == len(copies), mid
    assert sum(r.delivery_count for r in rows.values()) == len(files)

    from replyall.pipeline.runner import drain

    counts = drain(db, settings, clock)
    assert sum(counts.values()) == len(rows)
    after = raw_rows(db)
    statuses = Counter(r.status for r in after)
    assert statuses["pending"] == 0, statuses
    for row in after:
        assert row.status in ("done", "discarded", "failed"), (row.message_id, row.status)
        if row.status == "failed":
            assert row.error, row.message_id
    # The corpus is hard, not hopeless: most of it must archive.
    assert statuses["done"] >= len(rows) * 0.8, statuses
