"""GET /api/v1/search over the real app, and hostile input: only results or QueryError, never a crash."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from replyall.search import QueryError, SearchPage
from replyall.web.app import create_app


@pytest.fixture
def client(db, settings, clock):
    return TestClient(create_app(settings, db, clock), raise_server_exceptions=False)


def test_api_shape_and_next_link(mailer, client):
    for i in range(3):
        mailer.send(f"Consultation {i}", f"The consultation <b>closes</b> on day {i}.",
                    sender=f"Officer {i} <officer{i}@council.gov.uk>")
    mailer.send("Consultation (members)", "consultation for members only", archive="private-list")
    response = client.get("/api/v1/search", params={"q": "consultation", "per_page": 2})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "total", "total_exact", "next"} and body["total_exact"] is True
    assert body["total"] == 3  # the members-only archive is not searched without a signed-in member
    assert len(body["results"]) == 2
    first = body["results"][0]
    assert {"thread_id", "message_id", "subject", "from", "date", "snippet", "score"} <= set(first)
    assert first["from"].startswith("Officer ")
    assert "<mark>consultation</mark>" in first["snippet"] and "&lt;b&gt;closes&lt;/b&gt;" in first["snippet"]
    assert "<b>" not in first["snippet"]
    assert first["message_id"].endswith("@test.example") and len(first["thread_id"]) == 16
    assert isinstance(first["score"], float) and first["date"].startswith("2025-03-03")
    second = client.get(body["next"]).json()
    assert second["next"] is None and len(second["results"]) == 1
    seen = {r["thread_id"] for r in body["results"]} | {r["thread_id"] for r in second["results"]}
    assert len(seen) == 3


def test_search_page_pages_keep_the_query_and_the_order(mailer, client, monkeypatch):
    import re

    from replyall.web.routes import search_pages

    monkeypatch.setattr(search_pages, "PER_PAGE", 2)
    for i in range(5):
        mailer.send(f"Gritting rota {i}", f"The gritting rota for week {i}.")
    first = client.get("/a/comms-network/search", params={"q": "gritting & rota", "sort": "date"}).text
    assert 'aria-label="Result pages"' in first and "Page 1 of 3" in first
    link = re.search(r'<a href="(\?[^"]+)" rel="next">Next<span class="visually-hidden"> results', first)
    assert link and link.group(1) == "?q=gritting%20%26%20rota&amp;sort=date&amp;page=2"
    second = client.get("/a/comms-network/search" + link.group(1).replace("&amp;", "&")).text
    assert "Page 2 of 3" in second and 'rel="prev">Previous' in second and 'rel="next">Next' in second


def test_api_archive_parameter(mailer, client):
    mailer.send("Flood plan", "flood plan draft")
    assert client.get("/api/v1/search", params={"q": "flood", "archive": "comms-network"}).json()["total"] == 1
    for slug in ("private-list", "no-such-archive"):
        response = client.get("/api/v1/search", params={"q": "flood", "archive": slug})
        assert response.status_code == 404 and "detail" in response.json()


@pytest.mark.parametrize("q", ["", "x" * 10_000, "before:2024-99-99", "x OR -y", "p*", '"" -- **'])
def test_api_bad_query_is_400_with_a_message(db, client, q):
    response = client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


HOSTILE = [
    '"unbalanced', 'a"b"c"', "NEAR(a b)", "a AND", "OR", "OR OR OR", "AND NOT", "NOT", "-", "--x", "-(", "(((", ")))",
    "a:b:c", "from:", "subject:\"", "col:foo", "{subject}: x", "^start", "x*y*", "*", "**a", "'; DROP TABLE messages; --",
    "\\", "\x00", "a\x00b", "☃ ✓ 🙂", "名前 検索", "ǅemal Ößer", "x" * 999, "from:(a OR b)", "-in:", "thread:'",
    "on:2024-02-30", "after:0000-01-01", "before:9999-12-31", "in:comms-network", "quoted:", "filename:*.pdf",
    "has:attachment -has:attachment", "\"a\"*", "a | b & c", "!a", "a:*", "'a':*A & b", "a <-> b", "@@", "(a OR (b -c))",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_give_results_or_a_message(mailer, find, q):
    mailer.send("Something", "some text about a b c")
    try:
        page = find(q)
    except QueryError as exc:
        assert str(exc)
    else:
        assert isinstance(page, SearchPage)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(list('ab "()-*:|&!^{}\'') + ["OR", "NOT", "from:", "to:", "before:", "in:",
                                                           "thread:", "quoted:", "has:", "2024-01-01"]),
             max_size=20).map("".join),
))
def test_any_text_gives_results_or_query_error(db, q):
    from replyall.search import search

    with db.reader() as session:
        try:
            page = search(session, q, archive_ids=None)
        except QueryError as exc:
            assert str(exc)
        else:
            assert page.total >= 0
