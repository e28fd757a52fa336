"""Fixtures for the reliability tests: Debian's headless Chromium, launched as tests/browser does."""

from __future__ import annotations

import pytest
from browsing import browser_support


# Module scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while the browser is open, and later tests that call asyncio.run() would fail.
@pytest.fixture(scope="module")
def browser():
    if not browser_support.CHROMIUM.exists():
        pytest.skip(f"{browser_support.CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(browser_support.CHROMIUM), headless=True, args=browser_support.LAUNCH_ARGS
        )
        yield instance
        instance.close()
