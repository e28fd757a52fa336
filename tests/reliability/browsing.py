"""The browser suite's Chromium options, threaded uvicorn server and mail helpers, for reuse here."""

from __future__ import annotations

from support import browser as browser_support
from support import web as web_helpers

__all__ = ["browser_support", "web_helpers"]
