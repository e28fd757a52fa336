"""Defect-named threading fixtures (tests/data/threading), in file order and reversed, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from thread_helpers import feed, rows_by_mid

CASES = Path(__file__).parents[2] / "data" / "threading"


@pytest.mark.parametrize("order", ["forward", "reverse"])
@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_fixture_case(db, settings, clock, case, order):
    folder = CASES / case
    expected = json.loads((folder / "expected.json").read_text())
    files = sorted(folder.glob("*.eml"))
    if order == "reverse":
        files.reverse()
    feed(db, settings, clock, [f.read_bytes() for f in files])
    rows = rows_by_mid(db)
    by_id = {m.id: m for m in rows.values()}
    if expected.get("parents") is not None:
        got = {mid: (by_id[m.parent_id].message_id if m.parent_id else None) for mid, m in rows.items() if mid in expected["parents"]}
        assert got == expected["parents"]
        real = [m for m in rows.values() if not m.is_ghost]
        assert len({m.thread_id for m in real}) == 1
    if expected.get("same_thread"):
        assert len({rows[mid].thread_id for mid in expected["same_thread"]}) == 1
    for m in rows.values():  # no loops anywhere
        seen = set()
        while m is not None:
            assert m.id not in seen
            seen.add(m.id)
            m = by_id.get(m.parent_id)
