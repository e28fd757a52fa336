"""Typed stops for pipeline steps; only the runner catches them."""

from __future__ import annotations


class PipelineStop(Exception):
    """A step ends processing of this message; `reason` is logged and stored."""

    status = "failed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Discard(PipelineStop):
    """Keep the raw message but archive nothing (X-No-Archive, our own digest coming back)."""

    status = "discarded"


class Reject(PipelineStop):
    """The message cannot be archived as it is; keep it raw, mark failed with the reason."""

    status = "failed"


class Retry(PipelineStop):
    """Temporary trouble (a concurrent writer won a race); try again later."""

    status = "pending"
