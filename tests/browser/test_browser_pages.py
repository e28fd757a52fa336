"""The archive in headless Chromium: reading, expanding quotes, search, permalinks, axe-core on every page type."""

from __future__ import annotations

import re

import pytest

from support.browser import axe_violations, shoot

pytestmark = pytest.mark.browser


def page_types(seeded: dict) -> dict[str, str]:
    return {
        "archive-list": "/",
        "archive-home": "/a/comms-network",
        "thread-tree": f"/t/{seeded['thread']}",
        "thread-flat": f"/t/{seeded['thread']}?view=flat",
        "thread-hostile": f"/t/{seeded['hostile']}",
        "thread-long-quote": f"/t/{seeded['interleaved']}",
        "thread-patch": f"/t/{seeded['patch']}",
        "message": f"/m/{seeded['reply_hash']}",
        "people": "/a/comms-network/people",
        "months": "/a/comms-network/months",
        "month": "/a/comms-network/2026/11",
        "search": "/a/comms-network/search?q=vaccination",
        "search-help": "/search/help",
        "download": "/a/comms-network/download",
        "not-found": "/a/no-such-archive",
    }


def test_every_page_type_has_no_axe_violations(live, page, seeded):
    failures = {}
    for name, path in page_types(seeded).items():
        response = page.goto(live + path)
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200), name
        shoot(page, name)
        violations = axe_violations(page)
        if violations:
            failures[name] = violations
    assert failures == {}


def test_person_page_has_no_axe_violations(live, page):
    page.goto(live + "/a/comms-network/people")
    page.get_by_role("link", name="Sam Patel").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Sam Patel"
    shoot(page, "person")
    assert axe_violations(page) == []


def test_expand_quoted_text(live, page, seeded):
    page.goto(f"{live}/t/{seeded['thread']}")
    quote = page.locator("details", has=page.locator("summary", has_text="Show quoted text")).first
    quoted = quote.locator(".part")
    assert not quoted.is_visible()
    quote.locator("summary").click()
    assert quoted.is_visible()
    assert "Has anyone got social media assets?" in quoted.inner_text()
    shoot(page, "thread-quote-open")


def test_link_in_a_body_is_followed_and_interleaved_quotes_are_set_apart(live, page, seeded):
    page.goto(f"{live}/t/{seeded['thread']}")
    link = page.get_by_role("link", name="https://www.example.gov.uk/winter-toolkit")
    assert link.get_attribute("href") == "https://www.example.gov.uk/winter-toolkit"
    quoted = page.locator(".message .body blockquote.quoted")
    assert quoted.count() == 2 and quoted.first.inner_text() == "> We have a toolkit, happy to share."
    # Set apart by a rule at its left, in a colour that still reads (axe checks the contrast).
    assert quoted.first.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"


def test_pictures_laid_out_in_a_message_open_on_request(live, page, seeded):
    page.goto(f"{live}/t/{seeded['thread']}")
    summary = page.get_by_text("Show 2 pictures laid out in the message")
    logo = page.get_by_role("link", name="image001.png")
    assert not logo.is_visible()
    summary.click()
    assert logo.is_visible()


def test_a_pasted_picture_shows_in_place_and_opens_as_a_file(live, page, seeded):
    page.goto(f"{live}/t/{seeded['thread']}")
    picture = page.get_by_role("link", name="Picture screenshot1.png (download)")
    assert picture.is_visible()
    image = picture.locator("img")
    # Served as a download (Content-Disposition: attachment), it still shows as a picture.
    picture.scroll_into_view_if_needed()  # loading="lazy": fetched once near the viewport
    assert image.evaluate("i => i.decode().then(() => i.naturalWidth)") == 64
    shoot(page, "thread-pasted-picture")
    # Never wider than the message text.
    assert image.evaluate("i => i.getBoundingClientRect().width <= i.closest('.body').getBoundingClientRect().width")
    with page.expect_download() as download:
        picture.click()
    assert download.value.suggested_filename == "screenshot1.png"


def test_a_patch_keeps_its_columns_and_the_text_around_it_reads_as_prose(live, page, seeded):
    page.goto(f"{live}/t/{seeded['patch']}")
    patch = page.locator(".message .body pre.patch")
    assert patch.inner_text().startswith("diff --git a/rota.py b/rota.py")
    assert patch.inner_text().endswith("     return")
    font = patch.evaluate("e => getComputedStyle(e).fontFamily")
    prose = page.locator(".message .body").evaluate("e => getComputedStyle(e).fontFamily")
    assert "monospace" in font and "monospace" not in prose
    assert patch.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"  # spaces kept, long lines wrapped
    assert "Tested on December." in page.locator(".message .body").inner_text().split("     return", 1)[1]


def test_long_quote_in_an_answer_shows_its_start_and_opens_on_request(live, page, seeded):
    page.goto(f"{live}/t/{seeded['interleaved']}")
    shoot(page, "thread-long-quote")
    assert page.get_by_text("> Protocol clause 4.").is_visible()
    more = page.locator(".message .body details.more-quote")
    assert more.evaluate("e => e.open") is False
    page.get_by_text("Show 26 more quoted lines").click()
    assert more.evaluate("e => e.open") is True and "> Protocol clause 30." in more.inner_text()
    assert page.get_by_text("Clause 12 needs the press office's sign-off").is_visible()
    similar = page.locator("main li", has_text="Budget consultation timeline").inner_text()
    assert "(1 message, " in similar  # not "1 messages"


def test_auto_reply_is_collapsed_until_opened(live, page, seeded):
    page.goto(f"{live}/t/{seeded['thread']}")
    auto = page.locator("details.auto").first
    assert "Automatic reply from Alex Jones" in auto.locator("summary").inner_text()
    body = auto.locator(".body")
    assert not body.is_visible()
    auto.locator("summary").click()
    assert "out of the office" in body.inner_text()


def test_keyboard_reaches_skip_link_and_expands_details(live, page, seeded):
    page.goto(f"{live}/t/{seeded['thread']}")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()  # shown when focused (WCAG 2.4.1)
    summary = page.locator("summary", has_text="Show quoted text").first
    summary.focus()
    page.keyboard.press("Enter")
    assert summary.evaluate("el => el.parentElement.open")


def test_search_from_archive_home(live, page):
    page.goto(live + "/a/comms-network")
    page.get_by_label("Search Comms network").fill("vaccination toolkit")
    page.get_by_role("button", name="Search").click()
    assert re.search(r"/a/comms-network/search\?q=vaccination\+toolkit$", page.url)
    assert page.get_by_label("Search Comms network").input_value() == "vaccination toolkit"
    assert page.get_by_role("heading", name=re.compile(r"^1 conversation found")).is_visible()
    result = page.locator("main ul.list > li").first
    assert result.locator("a.thread-title").inner_text() == "Winter vaccination campaign: assets?"
    assert result.locator("mark").first.inner_text().lower() in ("vaccination", "toolkit")
    shoot(page, "search-results")
    page.get_by_role("link", name="How to search").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "How to search"


def test_follow_permalink_from_thread(live, page, seeded):
    page.goto(f"{live}/t/{seeded['thread']}")
    page.get_by_role("link", name=re.compile(r"^Link to this message from Sam Patel")).click()
    assert page.url == f"{live}/m/{seeded['reply_hash']}"
    assert page.get_by_role("heading", level=1).inner_text() == "Re: Winter vaccination campaign: assets?"
    assert "We have a toolkit" in page.locator("main").inner_text()
    page.get_by_role("link", name="See this message in its conversation").click()
    assert page.url.endswith(f"/t/{seeded['thread']}#m-{seeded['reply_hash']}")


def test_hostile_markup_is_text_not_html(live, page, seeded):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live}/t/{seeded['hostile']}")
    assert page.get_by_role("heading", level=1).inner_text() == "<script>alert('x')</script> Bonfire night safety"
    assert page.locator("main img").count() == 0
    assert page.locator("main b").count() == 0
    assert "<img src=x onerror=alert(1)>" in page.locator(".message .body").first.inner_text()
    assert dialogs == []


def test_csp_is_enforced_and_styles_still_load(live, browser, seeded):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = page.goto(f"{live}/t/{seeded['thread']}")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    header_bg = page.locator(".site-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header_bg == "rgb(11, 12, 12)"
    # An injected inline script must be refused by the policy.
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';
                             document.body.appendChild(s); }""")
    assert page.evaluate("() => window.pwned === undefined")
    assert any("Content Security Policy" in e for e in errors)
    context.close()


def test_phone_width_has_no_horizontal_scroll(live, browser, seeded):
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    for name, path in (("phone-archive", "/a/comms-network"), ("phone-thread", f"/t/{seeded['thread']}"),
                       ("phone-people", "/a/comms-network/people")):
        page.goto(live + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, (name, width)
        shoot(page, name)
    context.close()


def test_members_only_archive_is_invisible(live, page, seeded):
    page.goto(live + "/")
    assert "Private list" not in page.locator("main").inner_text()
    response = page.goto(f"{live}/t/{seeded['private']}")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
