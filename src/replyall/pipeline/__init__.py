"""The pipeline: a declared list of small steps, run in order on one raw message.

Read top to bottom: parse the bytes, classify (auto-reply, bounce, recall, no-archive),
screen (a banned sender's mail arrives hidden), clean (body / quote / signature / disclaimer), collapse near-duplicates, thread, store
the derived rows, index them for search. Each step is `run(ctx) -> None` and stops the
message only by raising Discard / Reject / Retry (pipeline.errors); runner.py is the
one place that catches them.
"""

from __future__ import annotations

from collections.abc import Callable

from replyall.pipeline import classify, clean, dedupe, index, parse, screen, store, thread
from replyall.pipeline.context import Context

Step = Callable[[Context], None]

STEPS: tuple[tuple[str, Step], ...] = (
    ("parse", parse.run),
    ("classify", classify.run),
    ("screen", screen.run),
    ("clean", clean.run),
    ("dedupe", dedupe.run),
    ("thread", thread.run),
    ("store", store.run),
    ("index", index.run),
)
