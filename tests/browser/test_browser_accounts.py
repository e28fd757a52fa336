"""Sign-in by emailed link, 'your data' and the administration pages in headless Chromium, with axe-core."""

from __future__ import annotations

import re

import pytest
from support import auth as auth_helpers
from support.browser import axe_violations, shoot
from support.relay import Sink

pytestmark = pytest.mark.browser
MEMBER = "jane@council.gov.uk"  # sender of the seeded members-only message
ADMIN = auth_helpers.ADMIN


@pytest.fixture
def sink():
    server = Sink()
    yield server
    server.close()


@pytest.fixture
def settings(db_url, sink, settings_factory):
    return settings_factory(db_url, relay={"host": "127.0.0.1", "port": sink.port}, auth={"admins": [ADMIN]})


def sign_in(page, live: str, sink, address: str) -> None:
    page.goto(f"{live}/login")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    body = sink.wait_for_mail(address)[-1].get_content()
    path = re.search(r"http://archive\.test(/login/confirm\?token=\S+)", body).group(1)
    page.goto(live + path)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live}/")


def test_member_signs_in_and_sees_the_members_only_archive(live, page, sink, seeded):
    page.goto(f"{live}/")
    assert "Secret members topic" not in page.content()
    assert page.get_by_role("link", name="Sign in").is_visible()
    page.goto(f"{live}/login")
    assert axe_violations(page) == []
    shoot(page, "login")
    sign_in(page, live, sink, MEMBER)
    assert page.get_by_role("link", name="Your data").is_visible()
    page.goto(f"{live}/t/{seeded['private']}")
    assert "Secret members topic" in page.content()
    assert "Administer" not in page.content()
    page.goto(f"{live}/me")
    assert page.get_by_role("heading", name="Your data").is_visible()
    assert axe_violations(page) == []
    shoot(page, "my-data")
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(f"{live}/")
    page.goto(f"{live}/t/{seeded['private']}")
    assert "Secret members topic" not in page.content()


def test_admin_pages_are_accessible_and_hide_works(live, page, sink, seeded):
    sign_in(page, live, sink, ADMIN)
    assert page.get_by_role("link", name="Administration").is_visible()
    # From the public conversation to its admin page, and from a message to its own.
    page.goto(f"{live}/t/{seeded['thread']}")
    page.get_by_role("link", name="Administer this conversation").click()
    page.wait_for_url(f"{live}/admin/t/{seeded['thread']}")
    page.goto(f"{live}/m/{seeded['reply_hash']}")
    page.get_by_role("link", name=re.compile("^Administer the message from Sam Patel")).first.click()
    page.wait_for_url(f"{live}/admin/comms-network/m/{seeded['reply_hash']}")
    for path in ("/admin", "/admin/failed", "/admin/bans", "/admin/erasure", "/admin/audit",
                 "/admin/comms-network/conversations", f"/admin/t/{seeded['thread']}",
                 f"/admin/comms-network/m/{seeded['opener_hash']}", f"/admin/comms-network/m/{seeded['reply_hash']}"):
        page.goto(live + path)
        assert axe_violations(page) == [], path
        if path.endswith("/conversations"):
            shoot(page, "admin-conversations")
            assert page.get_by_role("checkbox").count() > 1
            assert page.get_by_role("button", name="Hide the ticked conversations").is_visible()
        if path.endswith(seeded["opener_hash"]):
            assert page.get_by_role("button", name="Hide every message from this sender").is_visible()
    shoot(page, "admin-message")
    page.get_by_role("button", name="Hide").click()
    page.wait_for_url(re.compile(r".*done=hide$"))
    assert "hidden" in page.content()
    assert page.request.get(f"{live}/m/{seeded['reply_hash']}.eml").status == 404
    page.goto(f"{live}/admin/audit")
    assert "hide" in page.content() and ADMIN in page.content()
    # A domain ban, typed without a mouse; the list of bans it lands on passes axe too.
    page.goto(f"{live}/admin/bans")
    page.get_by_label("Address, or @domain").fill("@pills.example")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/admin/bans\?done=ban$"))
    assert page.get_by_role("cell", name="everyone at pills.example").is_visible()
    assert axe_violations(page) == []
    shoot(page, "admin-bans")
