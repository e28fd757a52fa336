"""Every way into a members-only archive answers 404 to strangers and 200 to members.

The matrix is built from the app's own route table: a route added later is tested
automatically, and a route with a path parameter this file cannot fill fails the
test until someone says what it means.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.auth import ADMIN, CC_MEMBER, MEMBER, OUTSIDER, PUBLIC, SECRET, ingest, mail, sign_in
from sqlalchemy import select
from starlette.routing import Route

from replyall.db.models import Archive, Message, Thread
from replyall.web.queries import person_key

WHEN = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
FIRST, REPLY = "flood-1@council.gov.uk", "flood-2@nhs-trust.nhs.uk"

#: Routes a stranger may reach without signing in, by design: the signed token in the
#: link is the proof (digest confirmation and RFC 8058 one-click unsubscribe), and
#: the sign-in pages themselves. Without a valid token they must still leak nothing.
TOKEN_ROUTES = {"digest_confirm", "digest_unsubscribe", "login_confirm"}
#: Pages for the signed-in person about themselves (404 when anonymous; tested in test_mydata).
PERSONAL = {"my_data", "my_messages_mbox"}
#: Not about any archive's content.
SITE = {"openapi", "swagger_ui_html", "swagger_ui_redirect", "healthz", "login", "search_help"}


def flat_routes(routes, prefix: str = ""):
    """(methods, path, name) of every route, through included routers (FastAPI includes lazily)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from flat_routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Route):
            yield set(route.methods or ()), prefix + route.path, route.name


@pytest.fixture
def private(db, settings, clock):
    ingest(
        db, settings, clock,
        mail(FIRST, date=WHEN, attachment=("figures.txt", f"{SECRET} table".encode())),
        mail(REPLY, sender=CC_MEMBER, cc=MEMBER, date=WHEN.replace(hour=11), parent=FIRST, subject="Re: Flood plan"),
    )
    # The outsider has mail in the public archive only: they can sign in, but are no member.
    ingest(db, settings, clock, mail("hello@example.com", sender=OUTSIDER, to=PUBLIC, cc="", body="Hello all\n", date=WHEN),
           slug="comms-network")
    with db.reader() as session:
        archive = session.scalars(select(Archive).where(Archive.slug == "private-list")).one()
        first = session.scalars(select(Message).where(Message.message_id == FIRST)).one()
        thread = session.get(Thread, first.thread_id)
        return {
            "slug": archive.slug, "key": thread.key, "thread_id": thread.key, "mid_hash": first.message_id_hash,
            "message_id": FIRST, "position": "0", "year": str(WHEN.year), "month": str(WHEN.month),
            "raw_id": str(first.raw_id),
        }


def _fill(path: str, name: str, values: dict[str, str]) -> str:
    special = {"archive_person": {"key": person_key(MEMBER)}}.get(name, {})
    out = path
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        param = out[start + 1:end].split(":")[0]
        value = special.get(param, values.get(param))
        assert value is not None, f"route {name} ({path}): say in this test what {{{param}}} is"
        out = out[:start] + value + out[end + 1:]
    return out


def _get_routes(app):
    return sorted(
        ((path, name) for methods, path, name in flat_routes(app.routes) if "GET" in methods),
        key=lambda item: item[0],
    )


def test_every_members_only_resource_is_404_to_strangers_and_200_to_members(app, client, new_client, sink, private):
    anonymous, outsider, member, admin = client, new_client(), new_client(), new_client()
    sign_in(outsider, sink, OUTSIDER)
    sign_in(member, sink, MEMBER)
    sign_in(admin, sink, ADMIN)
    checked = 0
    for path, name in _get_routes(app):
        if name in SITE | TOKEN_ROUTES | PERSONAL or "{" not in path:
            continue
        url = _fill(path, name, private) + f"?q={SECRET}"
        if name.startswith("admin"):
            for who, browser in (("anonymous", anonymous), ("outsider", outsider), ("member", member)):
                assert browser.get(url).status_code == 404, f"{who} reached admin page {url}"
            assert admin.get(url).status_code == 200, url
            continue
        for who, browser in (("anonymous", anonymous), ("outsider", outsider)):
            response = browser.get(url)
            assert response.status_code == 404, f"{who} got {response.status_code} for {name} {url}"
            assert SECRET not in response.text
        response = member.get(url)
        assert response.status_code == 200, f"member got {response.status_code} for {name} {url}"
        checked += 1
    assert checked >= 10, "the matrix found suspiciously few members-only routes"


def test_pages_without_an_archive_in_the_path_leak_nothing(app, client, new_client, sink, private):
    outsider, member = new_client(), new_client()
    sign_in(outsider, sink, OUTSIDER)
    sign_in(member, sink, MEMBER)
    for path, name in _get_routes(app):
        if "{" in path or name in SITE - {"login", "search_help"} or name.startswith("admin") or name in PERSONAL:
            continue
        url = f"{path}?q={SECRET}"
        for who, browser in (("anonymous", client), ("outsider", outsider)):
            response = browser.get(url)
            assert SECRET not in response.text, f"{who} saw members-only text on {url}"
            assert "private-list" not in response.text and "Private list" not in response.text, url
    # ... while a member's search and archive list do show it.
    assert SECRET in member.get(f"/api/v1/search?q={SECRET}").text
    assert "Private list" in member.get("/").text


def test_token_routes_without_a_valid_token_leak_nothing(app, client, private):
    for path, name in _get_routes(app):
        if name not in TOKEN_ROUTES:
            continue
        url = _fill(path, name, private) + "?token=forged"
        response = client.get(url)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert SECRET not in response.text


def test_search_and_similar_threads_see_only_readable_archives(client, new_client, sink, private):
    member = new_client()
    sign_in(member, sink, MEMBER)
    anon_hits = client.get(f"/api/v1/search?q={SECRET}").json()
    member_hits = member.get(f"/api/v1/search?q={SECRET}").json()
    assert SECRET not in str(anon_hits)
    assert SECRET in str(member_hits)


def test_public_pages_never_mention_members_only_conversations(app, client, new_client, sink, private, db, settings, clock):
    """Similar-conversation lists, people pages, feeds and exports of a public archive
    must not pull in a members-only thread, however alike they are."""
    ingest(db, settings, clock,
           mail("public-flood@council.gov.uk", to=PUBLIC, cc="", subject="Flood plan",
                body="Our flood plan figures are attached.\n", date=WHEN.replace(day=8)),
           slug="comms-network")
    with db.reader() as session:
        public = session.scalars(select(Message).where(Message.message_id == "public-flood@council.gov.uk")).one()
        values = {
            "slug": "comms-network", "key": public.thread.key, "thread_id": public.thread.key,
            "mid_hash": public.message_id_hash, "message_id": public.message_id, "position": "0",
            "year": "2026", "month": "10", "raw_id": str(public.raw_id),
        }
    outsider = new_client()
    sign_in(outsider, sink, OUTSIDER)
    for path, name in _get_routes(app):
        if name in SITE | TOKEN_ROUTES | PERSONAL or name.startswith("admin") or "{" not in path:
            continue
        # "flood" matches the members-only thread too; the search must not return it.
        url = _fill(path, name, values) + "?q=flood"
        for who, browser in (("anonymous", client), ("outsider", outsider)):
            response = browser.get(url)
            assert SECRET not in response.text, f"{who} saw members-only text on {url}"
            assert private["key"] not in response.text, f"{who} saw a members-only thread linked from {url}"
