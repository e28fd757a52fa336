"""XSS payloads in every part of a message, through the pipeline, rendered in Chromium: no script runs."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from browsing import browser_support, web_helpers
from lxml import etree

from replyall.web.app import create_app

pytestmark = pytest.mark.browser

BASE = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)

# Every payload calls the canary __xss(tag) (exposed by the test) or alert(): if either ever runs,
# the tag names the payload that got through. Encoded variants must stay inert when decoded once.
TEXT_PAYLOADS = [
    "<script>__xss('script')</script>",
    "<img src=x onerror=__xss('img-onerror')>",
    "<svg onload=__xss('svg-onload')>",
    "<svg><script>__xss('svg-script')</script></svg>",
    '<a href="javascript:__xss(\'js-url\')">click me</a>',
    "javascript:__xss('bare-js-url')",
    '<div style="width: expression(__xss(\'css-expression\'))">css</div>',
    "<iframe src=\"data:text/html,<script>parent.__xss('data-url')</script>\"></iframe>",
    '<object data="data:text/html;base64,' + base64.b64encode(b"<script>parent.__xss('b64')</script>").decode() + '">',
    "&lt;script&gt;__xss('entity')&lt;/script&gt;",
    "%3Cscript%3E__xss('percent')%3C/script%3E",
    "<scr<script>ipt>__xss('nested')</scr</script>ipt>",
    "\"><script>__xss('attr-break')</script>",
    "'><img src=x onerror=alert('single-quote-break')>",
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss('mxss')></style></mglyph></table></mtext></math>",
    "<body onload=__xss('body-onload')>",
    "<details open ontoggle=__xss('ontoggle')>",
    "http://example.org/\"><script>__xss('url-break')</script>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:__xss('meta-refresh')\">",
]

HTML_PART = """<html><head><meta http-equiv="refresh" content="0;url=javascript:__xss('html-meta')">
<base href="javascript:__xss('html-base')//"><style>body{background:url("javascript:__xss('html-style')")}</style>
<script>__xss('html-script')</script></head>
<body onload="__xss('html-body')"><p>Visible paragraph HTMLPART-OK</p>
<img src="x" onerror="__xss('html-img')"><a href="javascript:__xss('html-a')">a link</a>
<svg onload="__xss('html-svg')"><circle r="5"/></svg><iframe srcdoc="<script>parent.__xss('html-srcdoc')</script>"></iframe>
<form action="javascript:__xss('html-form')"><button formaction="javascript:__xss('html-button')">go</button></form>
<div style="background-image: expression(__xss('html-expression'))">styled</div>
<a href="jav&#x09;ascript:__xss('html-tab')">tabbed</a><a href="&#106;avascript:__xss('html-entity')">entity</a>
</body></html>"""

SUBJECT = "<script>__xss('subject')</script> Winter <b>plan</b> \"><img src=x onerror=__xss('subject-img')>"
NAME = "<img src=x onerror=__xss('name')> Mallory"
EW_NAME = "<img src=x onerror=__xss('ew-name')>"


def hostile_mails() -> list[bytes]:
    out = []
    first = EmailMessage()
    first["From"] = Address(display_name=NAME, addr_spec="mallory@evil.test")
    first["To"] = web_helpers.LIST
    first["Subject"] = SUBJECT
    first["Message-ID"] = "<xss-1@evil.test>"
    first["Date"] = format_datetime(BASE)
    first.set_content("Payloads follow.\n\n" + "\n".join(TEXT_PAYLOADS) + "\n\nEnd of payloads PLAIN-OK\n")
    first.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf",
                         filename="\"><img src=x onerror=__xss('filename')>.pdf")
    first.add_attachment(b"<script>__xss('html-attachment')</script>", maintype="text", subtype="html",
                         filename="evil.html")
    first.add_attachment(b'<svg xmlns="http://www.w3.org/2000/svg" onload="__xss(\'svg-attachment\')"/>',
                         maintype="image", subtype="svg+xml", filename="evil.svg")
    out.append(first.as_bytes())

    reply = EmailMessage()
    reply["From"] = Address(display_name="Eve \"<svg onload=__xss('name-2')>\"", addr_spec="eve@evil.test")
    reply["To"] = web_helpers.LIST
    reply["Subject"] = "Re: " + SUBJECT
    reply["Message-ID"] = "<xss-2@evil.test>"
    reply["In-Reply-To"] = "<xss-1@evil.test>"
    reply["References"] = "<xss-1@evil.test>"
    reply["Date"] = format_datetime(BASE + timedelta(minutes=5))
    reply.set_content("Plain fallback HTML-ALT-OK\n")
    reply.add_alternative(HTML_PART, subtype="html")
    out.append(reply.as_bytes())

    # The same payloads hidden behind transfer encodings and RFC 2047 words: decoded once, still text.
    encoded_subject = "=?UTF-8?B?" + base64.b64encode(b"<script>__xss('encoded-word')</script> EW-OK").decode() + "?="
    qp_html = "".join(f"={b:02X}" if chr(b) in "<>=\"'" else chr(b) for b in HTML_PART.encode())
    out.append((
        f"From: =?UTF-8?B?{base64.b64encode(EW_NAME.encode()).decode()}?= <qp@evil.test>\r\n"
        f"To: {web_helpers.LIST}\r\nSubject: {encoded_subject}\r\nMessage-ID: <xss-3@evil.test>\r\n"
        f"Date: {format_datetime(BASE + timedelta(minutes=10))}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + "=\r\n".join(qp_html[i:i + 70] for i in range(0, len(qp_html), 70)) + "\r\n"
    ).encode())
    return out


@pytest.fixture
def db_url(sqlite_url):
    """SQLite only, as the browser suite: escaping happens in the templates, not the database."""
    return sqlite_url


@pytest.fixture
def hostile_site(db, settings, clock):
    web_helpers.ingest(db, settings, clock, *hostile_mails())
    server = browser_support.LiveServer(create_app(settings, db, clock))
    url = server.start()
    yield {
        "url": url,
        "thread": web_helpers.thread_key_of(db, "xss-1@evil.test"),
        "encoded_thread": web_helpers.thread_key_of(db, "xss-3@evil.test"),
        "first": web_helpers.hash_of(db, "xss-1@evil.test"),
        "reply": web_helpers.hash_of(db, "xss-2@evil.test"),
        "encoded": web_helpers.hash_of(db, "xss-3@evil.test"),
    }
    server.stop()


def pages(site: dict) -> dict[str, str]:
    return {
        "thread": f"/t/{site['thread']}",
        "thread-flat": f"/t/{site['thread']}?view=flat",
        "thread-encoded": f"/t/{site['encoded_thread']}",
        "message": f"/m/{site['first']}",
        "message-html-part": f"/m/{site['reply']}",
        "message-encoded": f"/m/{site['encoded']}",
        "archive": "/a/comms-network",
        "month": "/a/comms-network/2026/11",
        "people": "/a/comms-network/people",
        "search-subject": "/a/comms-network/search?q=winter",
        "search-body": "/a/comms-network/search?q=payloads",
        "search-payload-query": "/a/comms-network/search?q=%3Cscript%3E__xss('query')%3C%2Fscript%3E",
        "feed": "/a/comms-network/feed.atom",
        "thread-feed": f"/t/{site['thread']}/feed.atom",
        "search-feed": "/a/comms-network/search/feed.atom?q=winter",
    }


# Anything in the DOM that could run script, whether or not the policy would stop it.
DOM_AUDIT = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push(`${el.tagName} ${name}`);
      if (['href', 'src', 'action', 'formaction', 'data', 'srcdoc', 'xlink:href', 'content'].includes(name)
          && /^(javascript|vbscript|data:text\\/html)/.test(value.replace(/^0;url=/, ''))) bad.push(`${el.tagName} ${name}=${value}`);
      if (name === 'style' && value.includes('expression(')) bad.push(`${el.tagName} style`);
    }
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'BASE', 'FRAME'].includes(el.tagName)) bad.push(el.tagName);
    if (el.tagName === 'META' && (el.getAttribute('http-equiv') || '').toLowerCase() === 'refresh') bad.push('META refresh');
  }
  return bad;
}"""


def visit_all(browser, site: dict, *, bypass_csp: bool) -> tuple[dict[str, list[str]], list[str], dict[str, str]]:
    """Open every page; returns DOM findings per page, canary/alert hits, and each page's visible text."""
    context = browser.new_context(bypass_csp=bypass_csp)
    fired: list[str] = []
    context.expose_function("__xss", lambda tag="?": fired.append(f"canary:{tag}"))
    # A policy violation means markup got through and only the CSP stopped it: also a failure.
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => window.__xss('csp:' + e.violatedDirective));"
    )
    page = context.new_page()
    page.on("dialog", lambda d: (fired.append(f"dialog:{d.message}"), d.dismiss()))
    page.on("console", lambda m: fired.append(f"console:{m.text}") if "Content Security Policy" in m.text else None)
    findings, texts = {}, {}
    try:
        for name, path in pages(site).items():
            response = page.goto(site["url"] + path)
            assert response is not None and response.status == 200, (name, response and response.status)
            page.wait_for_load_state("load")
            if ".atom" in path:
                etree.fromstring(response.body())  # well-formed XML: the payloads are escaped, not markup
            findings[name] = page.evaluate(DOM_AUDIT)
            texts[name] = page.locator("body").inner_text()
            # javascript: links only run when followed, so the audit above cannot see them fire: no link
            # inside a message may carry a script or data scheme at all.
            for link in page.locator("main .message a, main article a").all()[:40]:
                href = link.get_attribute("href") or ""
                assert not href.strip().lower().startswith(("javascript", "vbscript", "data")), (name, href)
    finally:
        context.close()
    return {k: v for k, v in findings.items() if v}, fired, texts


def test_no_payload_runs_with_the_policy_enforced(browser, hostile_site):
    findings, fired, texts = visit_all(browser, hostile_site, bypass_csp=False)
    assert fired == []
    assert findings == {}


def test_no_payload_runs_even_without_the_policy(browser, hostile_site):
    # Escaping alone must hold: with the CSP switched off a single unescaped payload would fire.
    findings, fired, texts = visit_all(browser, hostile_site, bypass_csp=True)
    assert fired == []
    assert findings == {}
    # The payloads are still there, as text a reader can see.
    assert SUBJECT in texts["thread"]
    assert NAME in texts["message"]
    for payload in TEXT_PAYLOADS:
        assert payload in texts["message"], payload
    assert "PLAIN-OK" in texts["message"]
    assert "\"><img src=x onerror=__xss('filename')>.pdf" in texts["message"]
    assert "HTMLPART-OK" in texts["message-html-part"]
    assert "<script>__xss('encoded-word')</script> EW-OK" in texts["thread-encoded"]
    assert EW_NAME in texts["message-encoded"]
    assert "<script>__xss('query')</script>" in texts["search-payload-query"] or "__xss('query')" in texts[
        "search-payload-query"]
    assert "Winter" in texts["search-subject"] and "Payloads follow" in texts["search-body"]


def test_attachments_are_downloads_never_pages(browser, hostile_site, db, clock, db_url, settings_factory):
    import httpx
    from fastapi.testclient import TestClient

    with httpx.Client(base_url=hostile_site["url"]) as client:
        for position in (1, 2):  # evil.html and evil.svg
            response = client.get(f"/m/{hostile_site['first']}/attachments/{position}")
            assert response.status_code == 200
            assert response.headers["content-disposition"].startswith("attachment;")
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "default-src 'none'" in response.headers["content-security-policy"]
        assert client.get(f"/m/{hostile_site['first']}.eml").status_code == 403  # addresses hidden: no original
    # Where originals are public (addresses shown), the .eml is a download too.
    shown = settings_factory(db_url, web={"obfuscate_addresses": False})
    with TestClient(create_app(shown, db, clock), base_url="http://archive.test") as client:
        raw = client.get(f"/m/{hostile_site['first']}.eml")
        assert raw.status_code == 200 and raw.headers["content-disposition"].startswith("attachment;")
        assert raw.headers["x-content-type-options"] == "nosniff"
    # And if a browser is sent there anyway, it downloads instead of rendering.
    context = browser.new_context(accept_downloads=True)
    fired: list[str] = []
    context.expose_function("__xss", lambda tag="?": fired.append(tag))
    page = context.new_page()
    with page.expect_download() as download:
        try:
            page.goto(f"{hostile_site['url']}/m/{hostile_site['first']}/attachments/1")
        except Exception as exc:  # Playwright reports a navigation that became a download as an error
            assert "Download is starting" in str(exc)
    assert download.value.suggested_filename == "evil.html"
    context.close()
    assert fired == []
