"""Every thread_reason the pipeline and thread repair write has a label on the pages."""

from __future__ import annotations

import re
from pathlib import Path

from replyall.web.present import REASONS

SRC = Path(__file__).resolve().parents[2] / "src" / "replyall"


def _written_reasons() -> set[str]:
    found: set[str] = set()
    for path in [SRC / "pipeline" / "thread.py", *(SRC / "threading").glob("*.py"), SRC / "admin" / "repairs.py"]:
        text = path.read_text()
        found |= set(re.findall(r'thread_reason\s*=\s*"([a-z-]+)"', text))
        found |= set(re.findall(r'thread_reason = [^\n]*"([a-z-]+)"\s*$', text, re.M))
        found |= set(re.findall(r'reason\s*=\s*"([a-z-]+)"', text))
        found |= set(re.findall(r'^[A-Z_]+ = "([a-z-]+)"', text, re.M))
        found |= set(re.findall(r'reparent\([^)]*"([a-z-]+)"\)', text))
    return found


def test_every_written_reason_has_a_label():
    written = _written_reasons()
    assert {"new", "references", "in-reply-to", "thread-index", "subject", "ghost"} <= written
    assert written - set(REASONS) == set()
