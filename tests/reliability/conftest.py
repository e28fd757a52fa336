"""Fixtures for the reliability tests: Debian's headless Chromium, launched as tests/browser does."""

from __future__ import annotations

import pytest
from browsing import browser_support


@pytest.fixture(scope="session")
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
