"""JSON API v1: exact shapes, pagination, access, errors and the OpenAPI document (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.web import PRIVATE, hash_of, ingest, make_mail, thread_key_of

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def seed(db, settings, clock):
    mails = [
        make_mail("root@council.gov.uk", subject="Press office rota", date=T0, body="Who covers Christmas?\n\n--\nJane\n",
                  attachments=[("rota.csv", "text/csv", b"day,name\n")]),
        make_mail("reply@trust.nhs.uk", subject="Re: Press office rota", date=T0 + timedelta(hours=1),
                  sender=("Sam Patel", "sam@trust.nhs.uk"), parent="root@council.gov.uk",
                  body="We do.\n\nOn 10 Nov Jane wrote:\n> Who covers Christmas?\n"),
        make_mail("auto@police.uk", subject="Automatic reply: Press office rota", date=T0 + timedelta(hours=2),
                  sender=("", "alex@police.uk"), parent="root@council.gov.uk",
                  headers={"Auto-Submitted": "auto-replied"}, body="Away.\n"),
    ]
    ingest(db, settings, clock, *mails)
    ingest(db, settings, clock, *[make_mail(f"t{i}@x.org", subject=f"Topic {i}", date=T0 - timedelta(days=i + 1)) for i in range(3)])
    ingest(db, settings, clock, make_mail("p@x.org", date=T0, to=PRIVATE, subject="Members only"), slug="private-list")
    return mails


def test_archives(client, db, settings, clock):
    seed(db, settings, clock)
    assert client.get("/api/v1/archives").json() == [{
        "slug": "comms-network", "name": "Comms network", "address": ["comms-network@archive.example.org"],
        "message_count": 6, "thread_count": 4,
    }]


def test_threads_paginate_with_next_url(client, db, settings, clock):
    seed(db, settings, clock)
    first = client.get("/api/v1/archives/comms-network/threads", params={"per_page": 3}).json()
    assert [t["subject"] for t in first["threads"]] == ["Press office rota", "Topic 0", "Topic 1"]
    assert set(first["threads"][0]) == {"id", "subject", "message_count", "participants", "started_at", "last_activity_at"}
    assert first["threads"][0]["message_count"] == 3 and first["threads"][0]["participants"] == 3
    assert first["threads"][0]["started_at"] == "2026-11-10T09:00:00Z"
    assert first["next"] is not None and "page=2" in first["next"] and "per_page=3" in first["next"]
    second = client.get(first["next"]).json()
    assert [t["subject"] for t in second["threads"]] == ["Topic 2"] and second["next"] is None
    assert client.get("/api/v1/archives/comms-network/threads", params={"per_page": 0}).status_code == 422
    missing = client.get("/api/v1/archives/nope/threads")
    assert missing.status_code == 404 and missing.json() == {"detail": "Archive not found"}


def test_thread_shape(client, db, settings, clock):
    seed(db, settings, clock)
    key = thread_key_of(db, "root@council.gov.uk")
    data = client.get(f"/api/v1/threads/{key}").json()
    assert set(data) == {"id", "subject", "archive", "messages"}
    assert (data["id"], data["subject"], data["archive"]) == (key, "Press office rota", "comms-network")
    root, reply, auto = data["messages"]
    assert {"id", "message_id", "parent", "from", "date", "subject", "body", "quote", "signature", "disclaimer",
            "auto", "attachments", "thread_reason"} <= set(root)
    assert root["message_id"] == "root@council.gov.uk" and root["parent"] is None
    assert root["id"] == hash_of(db, "root@council.gov.uk")
    assert root["from"] == {"name": "Jane Doe", "address": "jane at council.gov.uk"}
    assert root["signature"] == "--\nJane" and root["auto"] is False and root["thread_reason"] == "new"
    assert root["attachments"][0]["filename"] == "rota.csv" and root["attachments"][0]["size"] == 9
    assert root["attachments"][0]["url"].endswith(f"/m/{root['id']}/attachments/0")
    assert root["attachments"][0]["embedded"] is False and root["attachments"][0]["role"] == "attached"
    assert reply["parent"] == "root@council.gov.uk" and reply["body"] == "We do."
    assert reply["quote"].startswith("On 10 Nov Jane wrote:")
    assert auto["auto"] is True and auto["from"] == {"name": "", "address": "alex at police.uk"}
    assert client.get("/api/v1/threads/doesnotexist").status_code == 404


def test_message_and_raw_by_message_id(client, open_client, db, settings, clock):
    mails = seed(db, settings, clock)
    by_plain = client.get("/api/v1/messages/reply@trust.nhs.uk").json()
    assert by_plain["message_id"] == "reply@trust.nhs.uk" and by_plain["parent"] == "root@council.gov.uk"
    assert client.get("/api/v1/messages/<reply@trust.nhs.uk>").json() == by_plain
    raw = open_client.get("/api/v1/messages/reply@trust.nhs.uk/raw")
    assert raw.status_code == 200 and raw.content == mails[1] and raw.headers["content-type"] == "message/rfc822"
    # Where addresses are hidden from the public, so is the original (tests/integration/auth/test_originals.py).
    assert client.get("/api/v1/messages/reply@trust.nhs.uk/raw").status_code == 403
    for path in ("/api/v1/messages/nothing@here", "/api/v1/messages/p@x.org", "/api/v1/messages/p@x.org/raw"):
        response = client.get(path)
        assert response.status_code == 404 and response.json() == {"detail": "Message not found"}, path


def test_openapi_documents_the_api(client):
    doc = client.get("/api/openapi.json").json()
    for path in ("/api/v1/archives", "/api/v1/archives/{slug}/threads", "/api/v1/threads/{thread_id}",
                 "/api/v1/messages/{message_id}", "/api/v1/messages/{message_id}/raw"):
        assert path in doc["paths"], path
    assert not any(p.startswith(("/t/", "/m/", "/a/")) for p in doc["paths"])
    thread = doc["components"]["schemas"]["ThreadOut"]
    assert set(thread["properties"]) == {"id", "subject", "archive", "messages"}
    assert "from" in doc["components"]["schemas"]["MessageOut"]["properties"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
