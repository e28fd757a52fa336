"""Sign-in by emailed link: one use, 15 minutes by the clock, the same answer for strangers, real cookies."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from support.auth import CC_MEMBER, MEMBER, OUTSIDER, PRIVATE, SECRET, csrf_of, ingest, link_in, mail, sign_in
from fastapi.testclient import TestClient
from sqlalchemy import select

from replyall.db.models import LoginToken, WebSession
from replyall.web.app import create_app

WHEN = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def archived(db, settings, clock):
    ingest(db, settings, clock, mail("plan-1@council.gov.uk", date=WHEN))
    with db.reader() as session:
        from replyall.db.models import Thread

        return session.scalars(select(Thread.key)).one()


def _request(client, address: str):
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_of(page.text), "address": address})


def _confirm_form(client, path: str):
    page = client.get(path)
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    return page, token.group(1) if token else None


def test_member_signs_in_by_link_and_reads_the_private_archive(client, sink, archived):
    assert client.get(f"/t/{archived}").status_code == 404
    sign_in(client, sink, CC_MEMBER)  # only ever in Cc: the cc list is the member list
    page = client.get(f"/t/{archived}")
    assert page.status_code == 200 and SECRET in page.text
    mail_ = sink.mail_to(CC_MEMBER)[0]
    assert mail_["Auto-Submitted"] == "auto-generated" and mail_["X-No-Archive"] == "yes"


def test_session_cookie_flags(client, sink, archived):
    sign_in(client, sink, MEMBER)
    cookie = [c for c in client.cookies.jar if c.name == "replyall_session"][0]
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert not cookie.secure  # base_url is http:// in these tests
    assert cookie.expires is not None


def test_cookie_is_secure_when_the_site_is_https(settings_factory, db_url, db, clock, sink):
    settings = settings_factory(
        db_url, web={"base_url": "https://archive.test"}, relay={"host": "127.0.0.1", "port": sink.port},
    )
    ingest(db, settings, clock, mail("plan-1@council.gov.uk", date=WHEN))
    with TestClient(create_app(settings, db, clock), base_url="https://archive.test") as client:
        page = client.get("/login")
        client.post("/login", data={"csrf_token": csrf_of(page.text), "address": MEMBER})
        body = sink.wait_for_mail(MEMBER)[0].get_content()
        path = re.search(r"https://archive\.test(/login/confirm\?token=\S+)", body).group(1)
        confirm, token = _confirm_form(client, path)
        done = client.post("/login/confirm", data={"csrf_token": csrf_of(confirm.text), "token": token}, follow_redirects=False)
    header = done.headers["set-cookie"]
    assert "replyall_session=" in header
    assert "Secure" in header and "HttpOnly" in header and "SameSite=lax" in header
    assert "Max-Age=2592000" in header  # auth.session_days = 30


def test_unknown_address_gets_the_same_answer_and_no_mail(client, sink, archived):
    known = _request(client, MEMBER)
    unknown = _request(client, OUTSIDER)
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(MEMBER, "ADDRESS") == unknown.text.replace(OUTSIDER, "ADDRESS")
    assert sink.wait_for_mail(MEMBER)
    assert sink.mail_to(OUTSIDER) == []


def test_the_list_address_itself_never_gets_a_link(client, sink, archived, db):
    # It appears in To: of every message; a link mailed there would be archived for all to read.
    assert _request(client, PRIVATE).status_code == 200
    assert sink.mail_to(PRIVATE) == []
    with db.reader() as session:
        assert session.scalars(select(LoginToken).where(LoginToken.address == PRIVATE)).first() is None


def test_opening_the_link_does_not_use_it_up_but_confirming_does(client, sink, archived, new_client):
    _request(client, MEMBER)
    path = link_in(sink.wait_for_mail(MEMBER)[0])
    # A mail scanner opens the link first: nothing happens.
    scanner = new_client()
    assert scanner.get(path).status_code == 200
    confirm, token = _confirm_form(client, path)
    first = client.post("/login/confirm", data={"csrf_token": csrf_of(confirm.text), "token": token}, follow_redirects=False)
    assert first.status_code == 303
    # Single use: the same link again, from anywhere, signs nobody in.
    other = new_client()
    again, again_token = _confirm_form(other, path)
    assert again.status_code == 400 and again_token is None
    fresh = other.get("/login")
    replay = other.post("/login/confirm", data={"csrf_token": csrf_of(fresh.text), "token": token}, follow_redirects=False)
    assert replay.status_code == 400
    assert other.get(f"/t/{archived}").status_code == 404


def test_link_expires_after_fifteen_minutes(client, sink, archived, step):
    _request(client, MEMBER)
    path = link_in(sink.wait_for_mail(MEMBER)[0])
    step(minutes=14, seconds=59)
    confirm, token = _confirm_form(client, path)
    assert token is not None
    step(seconds=2)
    assert client.get(path).status_code == 400
    late = client.post("/login/confirm", data={"csrf_token": csrf_of(confirm.text), "token": token}, follow_redirects=False)
    assert late.status_code == 400
    assert client.get(f"/t/{archived}").status_code == 404


def test_forged_or_altered_token_is_refused(client, sink, archived):
    _request(client, MEMBER)
    path = link_in(sink.wait_for_mail(MEMBER)[0])
    token = path.split("token=", 1)[1]
    page = client.get("/login")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", ""):
        response = client.post("/login/confirm", data={"csrf_token": csrf_of(page.text), "token": bad}, follow_redirects=False)
        assert response.status_code == 400
    assert client.get(f"/t/{archived}").status_code == 404


def test_logout_needs_csrf_and_ends_the_session_everywhere(client, sink, archived, new_client, db):
    sign_in(client, sink, MEMBER)
    stolen = client.cookies.get("replyall_session")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get(f"/t/{archived}").status_code == 200
    me = client.get("/me")
    out = client.post("/logout", data={"csrf_token": csrf_of(me.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get(f"/t/{archived}").status_code == 404
    # The old cookie, replayed from another browser, is worthless: the session row is gone.
    other = new_client()
    other.cookies.set("replyall_session", stolen)
    assert other.get(f"/t/{archived}").status_code == 404
    with db.reader() as session:
        assert session.scalars(select(WebSession)).all() == []


def test_session_expires_after_session_days(client, sink, archived, step):
    sign_in(client, sink, MEMBER)
    step(days=29)
    assert client.get(f"/t/{archived}").status_code == 200
    step(days=1, seconds=1)
    assert client.get(f"/t/{archived}").status_code == 404


def test_tampered_session_cookie_is_anonymous(client, sink, archived):
    sign_in(client, sink, MEMBER)
    value = client.cookies.get("replyall_session")
    client.cookies.set("replyall_session", value[:-3] + "xyz")
    assert client.get(f"/t/{archived}").status_code == 404


def test_login_form_without_csrf_token_is_refused(client, sink, archived):
    response = client.post("/login", data={"address": MEMBER})
    assert response.status_code == 403
    assert "expired" in response.text
    assert sink.mail_to(MEMBER) == []


def test_nonsense_address_is_asked_again(client, sink):
    response = _request(client, "not an address")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text


def test_next_only_goes_to_paths_on_this_site(client, sink, archived):
    page = client.get("/login?next=//evil.example/")
    assert 'value="//evil.example/"' not in page.text
    client.post("/login", data={"csrf_token": csrf_of(page.text), "address": MEMBER, "next": f"/t/{archived}"})
    path = link_in(sink.wait_for_mail(MEMBER)[0])
    assert f"next=/t/{archived}" in path
    confirm, token = _confirm_form(client, path)
    done = client.post(
        "/login/confirm", data={"csrf_token": csrf_of(confirm.text), "token": token, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
