"""Browser fixtures: a real uvicorn server on 127.0.0.1:0 in a thread, and Debian's headless Chromium."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from support import web as helpers
from support.browser import CHROMIUM, LAUNCH_ARGS, LiveServer

from replyall.web.app import create_app


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but {CHROMIUM} is missing: browser tests cannot be skipped in CI")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)")
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture
def db_url(sqlite_url):
    """Browser tests run on SQLite only; the route tests cover PostgreSQL."""
    return sqlite_url


# Module scope: while Playwright's sync API has a browser open, the main thread has a running
# event loop and every later test that calls asyncio.run() fails (the digest tests do).
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    # bypass_csp only so axe-core can be injected; test_csp_enforced checks the real policy.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def seeded(db, settings, clock):
    """A small archive with the shapes the pages must handle: replies, quotes, signatures,
    an auto-reply and a bounce, an attachment, hostile markup, and a members-only message."""
    make, base = helpers.make_mail, datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    mails = [
        make("w1@council.gov.uk", subject="Winter vaccination campaign: assets?", date=base,
             body="Hello all,\n\nHas anyone got social media assets for the winter vaccination campaign?\n\n"
                  "Thanks\nJane\n--\nJane Doe\nHead of Communications\nExample Council\n",
             attachments=[("campaign-plan.pdf", "application/pdf", b"%PDF-1.4\n" + b"x" * 4000)]),
        make("w2@trust.nhs.uk", subject="Re: Winter vaccination campaign: assets?", date=base + timedelta(hours=1),
             sender=("Sam Patel", "sam.patel@trust.nhs.uk"), parent="w1@council.gov.uk",
             body="We have a toolkit, happy to share.\n\nOn 19 Nov 2026, at 09:00, Jane Doe <jane@council.gov.uk> wrote:\n"
                  "> Hello all,\n> Has anyone got social media assets?\n"),
        make("w3@police.uk", subject="Automatic reply: Winter vaccination campaign: assets?", date=base + timedelta(hours=1, minutes=5),
             sender=("Alex Jones", "alex.jones@police.uk"), parent="w1@council.gov.uk",
             headers={"Auto-Submitted": "auto-replied"}, body="I am out of the office until Monday.\n"),
        make("w4@council.gov.uk", subject="Re: Winter vaccination campaign: assets?", date=base + timedelta(hours=2),
             parent="w2@trust.nhs.uk", references=["w1@council.gov.uk", "w2@trust.nhs.uk"],
             body="Brilliant, thank you Sam!\n\nOn 19 Nov 2026 Sam Patel wrote:\n> We have a toolkit, happy to share.\n"),
        make("w5@fire.gov.uk", subject="Re: Winter vaccination campaign: assets?", date=base + timedelta(hours=3),
             sender=("Lee Grant", "lee.grant@fire.gov.uk"), parent="w2@trust.nhs.uk",
             references=["w1@council.gov.uk", "w2@trust.nhs.uk"],
             body="On 19 Nov 2026 Sam Patel wrote:\n> We have a toolkit, happy to share.\n"
                  "Ours is at https://www.example.gov.uk/winter-toolkit too.\n> Happy to share.\nLikewise.\n"),
        helpers.outlook_mail("w6@police.uk", subject="RE: Winter vaccination campaign: assets?",
                             date=base + timedelta(hours=4), sender=("Kim Hall", "kim.hall@police.uk"),
                             parent="w1@council.gov.uk", body="Our force will share the assets too. Last year's post:",
                             pasted=1),
        make("i1@council.gov.uk", subject="Re: Draft comms protocol", date=base - timedelta(days=1),
             sender=("Ravi Mehta", "ravi@council.gov.uk"),
             body="On 18 Nov 2026 Jane Doe wrote:\n" + "\n".join(f"> Protocol clause {n}." for n in range(1, 31))
                  + "\nClause 12 needs the press office's sign-off; the rest is fine.\n"
                  + "> Can we publish on Friday?\nYes, we publish on Friday.\n"),
        make("d1@council.gov.uk", subject="[PATCH] rota: skip bank holidays", date=base - timedelta(days=3),
             sender=("Ravi Mehta", "ravi@council.gov.uk"),
             body="The rota script put people on bank holidays.\n\n---\n rota.py | 3 ++-\n\n"
                  "diff --git a/rota.py b/rota.py\nindex 8d31cf3..270a3c5 100644\n--- a/rota.py\n+++ b/rota.py\n"
                  "@@ -10,3 +10,4 @@ def shifts(days):\n     for day in days:\n-        yield day\n"
                  "+        if day not in HOLIDAYS:\n+            yield day\n     return\n\nTested on December.\n"),
        make("x1@fire.gov.uk", subject="<script>alert('x')</script> Bonfire night safety", date=base - timedelta(days=2),
             sender=("<b>Fire</b> Comms", "comms@fire.gov.uk"), body="<img src=x onerror=alert(1)> Planning messages.\n"),
        make("y1@council.gov.uk", subject="Budget consultation timeline", date=base - timedelta(days=40),
             sender=("Priya Shah", "priya@othercouncil.gov.uk"), body="When does everyone publish their budget consultation?\n"),
    ]
    helpers.ingest(db, settings, clock, *mails)
    helpers.ingest(db, settings, clock, make("p1@council.gov.uk", subject="Secret members topic", date=base,
                                             to=helpers.PRIVATE), slug="private-list")
    return {
        "thread": helpers.thread_key_of(db, "w1@council.gov.uk"),
        "hostile": helpers.thread_key_of(db, "x1@fire.gov.uk"),
        "interleaved": helpers.thread_key_of(db, "i1@council.gov.uk"),
        "patch": helpers.thread_key_of(db, "d1@council.gov.uk"),
        "reply_hash": helpers.hash_of(db, "w2@trust.nhs.uk"),
        "opener_hash": helpers.hash_of(db, "w1@council.gov.uk"),  # Jane Doe, who wrote more than once
        "private": helpers.thread_key_of(db, "p1@council.gov.uk"),
    }


@pytest.fixture
def live(settings, db, clock, seeded):
    server = LiveServer(create_app(settings, db, clock))
    url = server.start()
    yield url
    server.stop()
