"""The browser suite's Chromium options, threaded uvicorn server and mail helpers, for reuse here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TESTS = Path(__file__).parents[1]

# tests/browser/conftest.py owns the Chromium launch options and the threaded uvicorn server;
# loaded under another name so its fixtures and hooks stay where they are.
_spec = importlib.util.spec_from_file_location("browser_support", TESTS / "browser" / "conftest.py")
browser_support = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(browser_support)
web_helpers = browser_support.helpers
