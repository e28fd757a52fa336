"""HTML pages through the real pipeline and app: content, order, markers, escaping, access, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from replyall.db.models import Message
from replyall.web.app import create_app
from support.web import PRIVATE, hash_of, ingest, make_mail, outlook_mail, thread_key_of

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


def tree_mails():
    """A, then B and C both answering A, then D answering B: tree order is A B D C."""
    return [
        make_mail("a@council.gov.uk", subject="Flu jab assets", date=T0,
                  body="Anyone have assets?\n\nThanks\nJane\n--\nJane Doe\nHead of Comms\n"),
        make_mail("b@trust.nhs.uk", subject="Re: Flu jab assets", date=T0 + timedelta(hours=1), parent="a@council.gov.uk",
                  sender=("Sam Patel", "sam@trust.nhs.uk"),
                  body="Yes, see attached.\n\nOn 10 Nov 2026 Jane Doe <jane@council.gov.uk> wrote:\n> Anyone have assets?\n",
                  attachments=[("toolkit.pdf", "application/pdf", b"%PDF-1.4 " + b"z" * 2048)]),
        make_mail("c@police.uk", subject="Re: Flu jab assets", date=T0 + timedelta(hours=2), parent="a@council.gov.uk",
                  sender=("Alex Jones", "alex@police.uk"), body="We used the national ones.\n"),
        make_mail("d@council.gov.uk", subject="Re: Flu jab assets", date=T0 + timedelta(hours=3), parent="b@trust.nhs.uk",
                  references=["a@council.gov.uk", "b@trust.nhs.uk"], body="Thank you Sam!\n"),
        make_mail("e@fire.gov.uk", subject="Automatic reply: Flu jab assets", date=T0 + timedelta(hours=1, minutes=1),
                  parent="a@council.gov.uk", sender=("Out Office", "ooo@fire.gov.uk"),
                  headers={"Auto-Submitted": "auto-replied"}, body="I am away until Monday.\n"),
    ]


def test_archive_list_shows_public_archives_only(client, db, settings, clock):
    ingest(db, settings, clock, *tree_mails())
    ingest(db, settings, clock, make_mail("p@x.org", date=T0, to=PRIVATE, subject="Members only"), slug="private-list")
    page = client.get("/")
    assert page.status_code == 200
    assert "Comms network" in page.text
    assert "Private list" not in page.text
    assert re.search(r"1 conversation<", page.text) and "5 messages" in page.text


def test_archive_home_orders_by_latest_activity_with_markers(client, db, settings, clock):
    ingest(db, settings, clock, *tree_mails())
    ingest(db, settings, clock,
           make_mail("old@x.org", subject="Older question", date=T0 - timedelta(days=3)),
           make_mail("fresh@x.org", subject="Fresh question", date=clock.now() - timedelta(hours=2)))
    html = client.get("/a/comms-network").text
    titles = re.findall(r'class="thread-title" href="/t/\w+">([^<]+)</a>', html)
    assert titles == ["Fresh question", "Flu jab assets", "Older question"]
    fresh = html[html.index("Fresh question"):html.index("Flu jab assets")]
    assert "tag-new" in fresh and "tag-unanswered" in fresh
    flu = html[html.index("Flu jab assets"):html.index("Older question")]
    assert "tag-new" not in flu and "tag-unanswered" not in flu
    assert "5 messages" in flu and "4 participants" in flu and "Started by Jane Doe" in flu


def test_auto_reply_alone_leaves_thread_unanswered(client, db, settings, clock):
    ingest(db, settings, clock, tree_mails()[0], tree_mails()[4])
    html = client.get("/a/comms-network").text
    assert "tag-unanswered" in html


def test_pagination(db, clock, settings_factory, sqlite_url):
    settings = settings_factory(sqlite_url, web={"per_page": 2, "base_url": "http://archive.test",
                                                 "secret_key": "test-secret-key-that-is-long-enough"})
    ingest(db, settings, clock, *[make_mail(f"p{i}@x.org", subject=f"Topic {i}", date=T0 + timedelta(days=i)) for i in range(5)])
    client = TestClient(create_app(settings, db, clock))
    first = client.get("/a/comms-network").text
    assert re.findall(r">Topic (\d)<", first) == ["4", "3"]
    assert 'href="?page=2" rel="next"' in first and "Page 1 of 3" in first
    last = client.get("/a/comms-network?page=3").text
    assert re.findall(r">Topic (\d)<", last) == ["0"]
    assert 'rel="next"' not in last and 'href="?page=2" rel="prev"' in last
    assert client.get("/a/comms-network?page=4").status_code == 404
    bad = client.get("/a/comms-network?page=zero")
    assert bad.status_code == 400 and "<h1>Bad request</h1>" in bad.text


def test_thread_tree_and_flat_order(client, db, settings, clock):
    ingest(db, settings, clock, *tree_mails())
    key = thread_key_of(db, "a@council.gov.uk")
    tree = client.get(f"/t/{key}").text
    order = [hash_of(db, f"{x}@{d}") for x, d in (("a", "council.gov.uk"), ("b", "trust.nhs.uk"),
                                                   ("e", "fire.gov.uk"), ("d", "council.gov.uk"), ("c", "police.uk"))]
    assert re.findall(r'<article class="message depth-(\d)[^"]*" id="m-(\w+)"', tree) == [
        ("0", order[0]), ("1", order[1]), ("2", order[3]), ("1", order[2]), ("1", order[4])]
    flat = client.get(f"/t/{key}?view=flat").text
    assert [h for _, h in re.findall(r'<article class="message depth-(\d)[^"]*" id="m-(\w+)"', flat)] == [
        order[0], order[1], order[2], order[4], order[3]]
    assert client.get(f"/t/{key}?view=sideways").status_code == 400


def test_thread_parts_collapsed_auto_reply_attachments_and_reason(client, db, settings, clock):
    ingest(db, settings, clock, *tree_mails())
    key = thread_key_of(db, "a@council.gov.uk")
    html = client.get(f"/t/{key}").text
    assert re.search(r"<summary>Show signature</summary>\s*<div class=\"part\">--\nJane Doe\nHead of Comms</div>", html)
    assert re.search(r"<summary>Show quoted text</summary>\s*<div class=\"part\">On 10 Nov 2026 Jane Doe &lt;jane at council.gov.uk&gt; wrote:", html)
    auto = re.search(r'<details class="auto">(.*?)</details>\s*</article>', html, re.S)
    assert auto and "Automatic reply from Out Office" in auto.group(1) and "I am away until Monday." in auto.group(1)
    b_hash = hash_of(db, "b@trust.nhs.uk")
    assert f'href="/m/{b_hash}/attachments/0" download>toolkit.pdf</a>' in html
    assert "(application/pdf, 2.0 KB)" in html
    assert "Joined by its reply headers" in html and "Started a new conversation" in html
    download = client.get(f"/m/{b_hash}/attachments/0")
    assert download.status_code == 200 and download.content.startswith(b"%PDF-1.4 zz")
    assert download.headers["content-disposition"].startswith('attachment; filename="toolkit.pdf"')
    assert client.get(f"/m/{b_hash}/attachments/7").status_code == 404


def test_mail_text_is_escaped_everywhere(client, db, settings, clock):
    ingest(db, settings, clock, make_mail(
        "x@evil.example", subject="<script>alert('s')</script>", date=T0, sender=("<img src=x onerror=alert(1)>", "evil@evil.example"),
        body="<script>alert('b')</script>\n<a href=javascript:alert(1)>click</a>\n"))
    key, mh = thread_key_of(db, "x@evil.example"), hash_of(db, "x@evil.example")
    for path in ("/a/comms-network", f"/t/{key}", f"/m/{mh}", "/a/comms-network/people", "/a/comms-network/2026/11",
                 "/a/comms-network/search?q=alert"):
        html = client.get(path).text
        assert "<script>" not in html and "<img src=x" not in html and "<a href=javascript" not in html, path
    thread = client.get(f"/t/{key}").text
    assert "&lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt;" in thread
    assert "&lt;script&gt;alert(&#39;b&#39;)&lt;/script&gt;" in thread


def test_links_are_clickable_and_an_interleaved_answer_sets_its_quotes_apart(client, db, settings, clock):
    ingest(db, settings, clock, make_mail(
        "q@council.gov.uk", subject="Winter campaign", date=T0,
        body="On 9 Nov, Ann wrote:\n> Has anyone got the toolkit?\nYes: https://www.example.gov.uk/winter-toolkit.\n"
             "> And the assets?\nOn the drive.\n"))
    key, mh = thread_key_of(db, "q@council.gov.uk"), hash_of(db, "q@council.gov.uk")
    for path in (f"/t/{key}", f"/m/{mh}"):
        html = client.get(path).text
        body = re.search(r'<div class="body">(.*?)</div>', html, re.S).group(1)
        assert ('Yes: <a href="https://www.example.gov.uk/winter-toolkit" rel="nofollow ugc">'
                "https://www.example.gov.uk/winter-toolkit</a>.") in body, path
        assert re.findall(r'<blockquote class="quoted">(.*?)</blockquote>', body) == [
            "&gt; Has anyone got the toolkit?", "&gt; And the assets?"], path


def test_pictures_the_html_lays_out_are_folded_and_not_counted_as_attachments(client, db, settings, clock):
    ingest(db, settings, clock,
           outlook_mail("o1@council.gov.uk", subject="Social media policy", date=T0, body="Ours is attached.",
                        attachments=[("policy.pdf", "application/pdf", b"%PDF-1.4 " + b"p" * 3000)]),
           outlook_mail("o2@council.gov.uk", subject="Re: Social media policy", date=T0 + timedelta(hours=1),
                        parent="o1@council.gov.uk", body="Thanks, very useful.", logos=3))
    html = client.get(f"/t/{thread_key_of(db, 'o1@council.gov.uk')}").text
    first, second = re.findall(r'<article class="message.*?</article>', html, re.S)
    attached = re.search(r'<ul class="attachments" aria-label="Attachments">(.*?)</ul>', first, re.S).group(1)
    assert "policy.pdf" in attached and "image001.png" not in attached
    assert re.search(r"<summary>Show 2 pictures laid out in the message</summary>\s*<ul class=\"attachments\">"
                     r".*image001\.png.*image002\.png.*</ul>", first, re.S)
    assert 'aria-label="Attachments"' not in second and "Show 3 pictures laid out in the message" in second
    assert "<img" not in html
    found = client.get("/a/comms-network/search", params={"q": "has:attachment"}).text
    assert "Ours is attached." in found and "Thanks, very useful." not in found
    pictures = client.get("/a/comms-network/search", params={"q": "-has:attachment useful"}).text
    assert "Thanks, very <mark>useful</mark>." in pictures
    logo = client.get(f"/m/{hash_of(db, 'o2@council.gov.uk')}/attachments/0")
    assert logo.status_code == 200 and logo.content.startswith(b"\x89PNG")


def test_a_picture_pasted_into_the_answer_shows_in_place_and_counts_as_shared(client, db, settings, clock):
    ingest(db, settings, clock,
           outlook_mail("s1@council.gov.uk", subject="Winter posts", date=T0, body="This is how ours looked:", pasted=1),
           outlook_mail("s2@council.gov.uk", subject="Re: Winter posts", date=T0 + timedelta(hours=1),
                        parent="s1@council.gov.uk", body="Looks great."))
    mh = hash_of(db, "s1@council.gov.uk")
    for path in (f"/t/{thread_key_of(db, 's1@council.gov.uk')}", f"/m/{mh}"):
        first = re.search(r'<article class="message.*?</article>', client.get(path).text, re.S).group()
        body = re.search(r'<div class="body">(.*?)</div>', first, re.S).group(1)
        assert body == (f'This is how ours looked:\n\n<a class="picture" href="/m/{mh}/attachments/0"><img '
                        f'src="/m/{mh}/attachments/0" alt="Picture screenshot1.png (download)" loading="lazy"></a>'), path
        # The signature's logos stay folded, and the screenshot is not listed twice.
        folded = re.search(r"<summary>Show 2 pictures laid out in the message</summary>(.*?)</details>", first, re.S)
        assert folded and "screenshot1.png" not in folded.group(1) and "image001.png" in folded.group(1), path
    found = client.get("/a/comms-network/search", params={"q": "has:attachment"}).text
    assert "This is how ours looked:" in found and "Looks great." not in found
    # Search knows the pasted picture by its name, and not the logos under every reply.
    named = client.get("/a/comms-network/search", params={"q": "screenshot1"}).text
    assert "1 conversation found" in named and "[image: <mark>screenshot1</mark>.png]" in named
    assert "0 conversations found" in client.get("/a/comms-network/search", params={"q": "image001"}).text
    shot = client.get(f"/m/{mh}/attachments/0")
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
    api = client.get(f"/api/v1/threads/{thread_key_of(db, 's1@council.gov.uk')}").json()["messages"][0]
    assert [(a["filename"], a["role"], a["embedded"]) for a in api["attachments"]] == [
        ("screenshot1.png", "pasted", True), ("image001.png", "layout", True), ("image002.png", "layout", True)]


def test_a_picture_with_a_content_id_that_nothing_lays_out_is_an_attachment(client, db, settings, clock):
    # Google Groups and Gmail give attached files a Content-ID; the HTML does not show them.
    from email import message_from_bytes, policy

    msg = message_from_bytes(make_mail("g1@council.gov.uk", subject="Poster", date=T0, body="I attached our poster."),
                             policy=policy.default)
    msg.add_alternative("<p>I attached our poster.</p>", subtype="html")
    msg.add_attachment(b"\xff\xd8\xff poster", maintype="image", subtype="jpeg", filename="poster.jpg", cid="<f_kx81>")
    ingest(db, settings, clock, msg.as_bytes())
    html = client.get(f"/t/{thread_key_of(db, 'g1@council.gov.uk')}").text
    attached = re.search(r'<ul class="attachments" aria-label="Attachments">(.*?)</ul>', html, re.S)
    assert attached and "poster.jpg" in attached.group(1) and "pictures laid out" not in html
    assert "I attached our poster." in client.get("/a/comms-network/search", params={"q": "has:attachment"}).text


def test_addresses_hidden_on_public_archive_and_shown_when_configured(db, settings, clock, settings_factory, sqlite_url):
    ingest(db, settings, clock, *tree_mails())
    key = thread_key_of(db, "a@council.gov.uk")
    hidden = TestClient(create_app(settings, db, clock))
    for path in (f"/t/{key}", "/a/comms-network/people", "/a/comms-network", f"/m/{hash_of(db, 'b@trust.nhs.uk')}"):
        assert "jane@council.gov.uk" not in hidden.get(path).text, path
    assert "jane at council.gov.uk" in hidden.get(f"/t/{key}").text
    shown_settings = settings_factory(sqlite_url, web={"obfuscate_addresses": False, "base_url": "http://archive.test",
                                                       "secret_key": "test-secret-key-that-is-long-enough"})
    shown = TestClient(create_app(shown_settings, db, clock))
    assert "jane@council.gov.uk" in shown.get(f"/t/{key}").text


def test_dates_use_configured_zone_and_format(db, settings, clock, settings_factory, sqlite_url):
    ingest(db, settings, clock, *tree_mails())
    local = settings_factory(sqlite_url, web={"time_zone": "America/New_York", "date_format": "%Y-%m-%d at %H:%M",
                                              "base_url": "http://archive.test", "secret_key": "test-secret-key-that-is-long-enough"})
    html = TestClient(create_app(local, db, clock)).get(f"/t/{thread_key_of(db, 'a@council.gov.uk')}").text
    assert '<time datetime="2026-11-10T09:00:00+00:00">2026-11-10 at 04:00</time>' in html
    assert "America/New_York" in html


def test_permalink_raw_and_redirects(client, open_client, db, settings, clock):
    raws = tree_mails()
    ingest(db, settings, clock, *raws)
    mh = hash_of(db, "b@trust.nhs.uk")
    page = client.get(f"/m/{mh}")
    assert page.status_code == 200 and "Yes, see attached." in page.text
    assert f'href="/t/{thread_key_of(db, "b@trust.nhs.uk")}#m-{mh}"' in page.text
    assert "In reply to <a href=\"/m/" in page.text
    moved = client.get(f"/m/{mh.lower()}", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == f"/m/{mh}"
    raw = open_client.get(f"/m/{mh}.eml")  # addresses hidden from the public: no original (403)
    assert client.get(f"/m/{mh}.eml").status_code == 403
    assert raw.status_code == 200 and raw.content == raws[1]
    assert raw.headers["content-type"] == "message/rfc822" and raw.headers["content-disposition"].startswith("attachment")
    assert client.get("/m/" + "A" * 32).status_code == 404
    assert client.get("/m/not-a-hash").status_code == 404


def test_hidden_message_keeps_its_place_but_not_its_text(client, db, settings, clock):
    ingest(db, settings, clock, *tree_mails())
    with db.transaction() as session:
        session.execute(update(Message).where(Message.message_id == "c@police.uk").values(hidden=True))
    mh = hash_of(db, "c@police.uk")
    html = client.get(f"/t/{thread_key_of(db, 'a@council.gov.uk')}").text
    assert "We used the national ones." not in html and "hidden by the archive" in html
    assert client.get(f"/m/{mh}.eml").status_code == 404


def test_members_only_archive_is_404_everywhere(client, db, settings, clock):
    ingest(db, settings, clock, make_mail("p@x.org", date=T0, to=PRIVATE, subject="Members only"), slug="private-list")
    key, mh = thread_key_of(db, "p@x.org"), hash_of(db, "p@x.org")
    paths = ["/a/private-list", "/a/private-list/people", "/a/private-list/months", "/a/private-list/2026/11",
             "/a/private-list/search?q=members", "/a/private-list/feed.atom", "/a/private-list/export.mbox",
             "/a/private-list/download", f"/t/{key}", f"/t/{key}?view=flat", f"/t/{key}.mbox", f"/t/{key}/feed.atom",
             f"/m/{mh}", f"/m/{mh}.eml", "/api/v1/archives/private-list/threads", f"/api/v1/threads/{key}",
             "/api/v1/messages/p@x.org", "/api/v1/messages/p@x.org/raw"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Members only" not in response.text, path


def test_people_pages(client, db, settings, clock):
    ingest(db, settings, clock, *tree_mails())
    html = client.get("/a/comms-network/people").text
    row = re.search(r'<a href="(/a/comms-network/people/[0-9a-f]{16})">Jane Doe</a></td>\s*<td[^>]*>council.gov.uk</td>\s*'
                    r'<td class="num"[^>]*>2</td>\s*<td class="num"[^>]*>1</td>', html)
    assert row, html
    assert "Out Office" not in html  # auto-replies are not people
    person = client.get(row.group(1)).text
    assert "<h1>Jane Doe</h1>" in person and "Flu jab assets" in person and "jane@council.gov.uk" not in person
    assert client.get("/a/comms-network/people/0123456789abcdef").status_code == 404


def test_browse_by_month(client, db, settings, clock):
    ingest(db, settings, clock, *tree_mails(), make_mail("o@x.org", subject="October topic", date=datetime(2026, 10, 3, tzinfo=UTC)))
    months = client.get("/a/comms-network/months").text
    assert "November 2026</a> (5 messages)" in months and "October 2026</a> (1 message)" in months
    november = client.get("/a/comms-network/2026/11").text
    assert "Flu jab assets" in november and "October topic" not in november
    assert "October 2026" in november  # link to the previous month
    assert client.get("/a/comms-network/2026/13").status_code == 404


def test_search_page_and_bad_query(client, db, settings, clock):
    ingest(db, settings, clock, *tree_mails())
    found = client.get("/a/comms-network/search", params={"q": "national"}).text
    assert "1 conversation found" in found and "<mark>national</mark>" in found
    assert 'href="/search/help"' in found
    bad = client.get("/a/comms-network/search", params={"q": "before:someday"})
    assert bad.status_code == 200 and "This search cannot be run" in bad.text and "YYYY-MM-DD" in bad.text
    help_page = client.get("/search/help").text
    assert "How to search" in help_page and "more than 10,000" in help_page  # the rank window, explained


def test_error_pages_and_security_headers(app, db, settings, clock):
    def boom():
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/boom", boom)
    client = TestClient(app)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "<h1>Page not found</h1>" in missing.text
    assert client.get("/api/v1/nothing").json() == {"detail": "Not Found"}
    crash = client.get("/boom")
    assert crash.status_code == 500 and "Sorry, there is a problem" in crash.text
    assert "secret internal detail" not in crash.text
    assert crash.headers["content-security-policy"].startswith("default-src 'none'")
    api_crash = client.get("/api/boom")
    assert api_crash.status_code == 500 and api_crash.json() == {"detail": "Sorry, there is a problem"}
    home = client.get("/")
    csp = home.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert home.headers["x-content-type-options"] == "nosniff"
    assert home.headers["referrer-policy"] == "same-origin"
    assert client.get("/static/site.css").headers["content-type"].startswith("text/css")


def test_template_override_directory_is_searched_first(db, settings, clock, settings_factory, sqlite_url, tmp_path):
    (tmp_path / "errors").mkdir()
    (tmp_path / "errors" / "404.html").write_text('{% extends "base.html" %}{% block content %}<h1>Custom lost page</h1>{% endblock %}')
    custom = settings_factory(sqlite_url, web={"templates_dir": str(tmp_path), "base_url": "http://archive.test",
                                               "secret_key": "test-secret-key-that-is-long-enough"})
    html = TestClient(create_app(custom, db, clock)).get("/missing").text
    assert "<h1>Custom lost page</h1>" in html and "Skip to main content" in html


def test_thread_page_query_count_does_not_grow_with_messages(client, db, settings, clock):
    """No lazy load per message: a long thread must cost the same few queries as a short one."""
    from sqlalchemy import event

    mails = [make_mail("q0@x.org", subject="Long one", date=T0, attachments=[("a.txt", "text/plain", b"a")])]
    mails += [make_mail(f"q{i}@x.org", subject="Re: Long one", date=T0 + timedelta(minutes=i), parent=f"q{i - 1}@x.org",
                        body=f"Point number {i} about the long one.\n",
                        attachments=[("b.txt", "text/plain", b"b")]) for i in range(1, 30)]
    ingest(db, settings, clock, *mails)
    key = thread_key_of(db, "q0@x.org")
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for view in ("tree", "flat"):
            statements.clear()
            html = client.get(f"/t/{key}", params={"view": view}).text
            assert html.count('download>b.txt</a>') == 29, view
            assert len(statements) < 25, (view, len(statements))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
