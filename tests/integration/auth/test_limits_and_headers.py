"""429 on too many sign-in requests and searches per client address; security headers on every response."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.auth import MEMBER, csrf_of, ingest, mail
from fastapi.testclient import TestClient

from replyall.web.app import create_app

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(db_url, sink, settings_factory):
    return settings_factory(
        db_url, relay={"host": "127.0.0.1", "port": sink.port},
        auth={"login_per_hour": 3, "searches_per_minute": 4},
    )


def _ask(client, address: str = MEMBER):
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_of(page.text), "address": address})


def test_sign_in_requests_are_limited_per_client_address(app, client, step, sink, db, settings, clock):
    ingest(db, settings, clock, mail("p1@council.gov.uk", date=WHEN))
    for _ in range(3):
        assert _ask(client).status_code == 200
    refused = _ask(client, "someone-else@council.gov.uk")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many sign-in requests" in refused.text
    assert len(sink.wait_for_mail(MEMBER, 3)) == 3
    # Another client address has its own allowance.
    with TestClient(app, base_url="http://archive.test", client=("198.51.100.7", 50000)) as other:
        assert _ask(other).status_code == 200
    step(minutes=61)
    assert _ask(client).status_code == 200


def test_one_inbox_gets_at_most_the_limit_from_many_clients(app, sink, db, settings, clock):
    ingest(db, settings, clock, mail("p1@council.gov.uk", date=WHEN))
    answers = set()
    for n in range(5):
        with TestClient(app, base_url="http://archive.test", client=(f"203.0.113.{n + 1}", 40000)) as c:
            response = _ask(c)
            assert response.status_code == 200
            answers.add(response.text)
    assert len(answers) == 1  # the same page every time, whether mail went out or not
    assert len(sink.wait_for_mail(MEMBER, 3)) == 3
    # The background sends are done once the responses are: no fourth mail is coming.
    assert len(sink.mail_to(MEMBER)) == 3


def test_searches_are_limited_per_client_address_pages_and_api_alike(client, step):
    urls = ["/api/v1/search?q=flood", "/a/comms-network/search?q=flood"] * 2
    assert [client.get(u).status_code for u in urls] == [200, 200, 200, 200]
    page = client.get("/a/comms-network/search?q=flood")
    api = client.get("/api/v1/search?q=flood")
    assert page.status_code == api.status_code == 429
    assert page.headers["content-type"].startswith("text/html") and "Too many searches" in page.text
    assert api.headers["content-type"].startswith("application/json") and "Too many searches" in api.json()["detail"]
    assert "content-security-policy" in page.headers and "retry-after" in api.headers
    # Browsing is not searching, nor is opening the empty form or the help page.
    assert client.get("/").status_code == 200
    assert client.get("/search/help").status_code == 200
    assert client.get("/a/comms-network/search").status_code == 200
    step(seconds=61)
    assert client.get("/api/v1/search?q=flood").status_code == 200


def _assert_security_headers(response) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (response.url, csp)
    assert "default-src" in csp
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_security_headers_on_every_kind_of_response(client, db, settings, clock):
    ingest(db, settings, clock, mail("p1@council.gov.uk", date=WHEN))
    page = client.get("/login")
    api = client.get("/api/v1/archives")
    error = client.get("/no/such/page")
    api_error = client.get("/api/v1/threads/doesnotexist")
    members_only = client.get("/a/private-list")
    redirect = client.post("/login/confirm", data={"csrf_token": csrf_of(page.text), "token": "x"}, follow_redirects=False)
    forbidden = client.post("/logout", data={}, follow_redirects=False)
    assert (page.status_code, api.status_code, error.status_code, api_error.status_code) == (200, 200, 404, 404)
    assert members_only.status_code == 404 and forbidden.status_code == 403
    for response in (page, api, error, api_error, members_only, redirect, forbidden):
        _assert_security_headers(response)


def test_security_headers_on_a_redirect(client, sink, db, settings, clock):
    from support.auth import sign_in

    ingest(db, settings, clock, mail("p1@council.gov.uk", date=WHEN))
    sign_in(client, sink, MEMBER)
    me = client.get("/me")
    out = client.post("/logout", data={"csrf_token": csrf_of(me.text)}, follow_redirects=False)
    assert out.status_code == 303
    _assert_security_headers(out)


def test_placeholder_secret_refused_outside_development(settings_factory):
    from pydantic import ValidationError

    from replyall.config import PLACEHOLDER_SECRET

    with pytest.raises(ValidationError, match="secret_key"):
        settings_factory(web={"secret_key": PLACEHOLDER_SECRET})
    assert settings_factory(environment="development", web={"secret_key": PLACEHOLDER_SECRET}).environment == "development"


def test_crash_page_has_headers_and_no_detail(settings, db, clock):
    app = create_app(settings, db, clock)

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("internal detail that must not leak")

    with TestClient(app, base_url="http://archive.test", raise_server_exceptions=False) as c:
        response = c.get("/boom-for-test")
    assert response.status_code == 500
    assert "internal detail" not in response.text
    _assert_security_headers(response)
