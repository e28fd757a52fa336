"""mbox exports parse back with the stdlib, escape From_ lines the mboxrd way; Atom feeds are well-formed XML."""

from __future__ import annotations

import mailbox
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from support.web import hash_of, ingest, make_mail, thread_key_of

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
FROM_BODY = "Hello,\nFrom now on we meet on Tuesdays.\n>From the archive: nothing.\n"


def seed(db, settings, clock):
    mails = [
        make_mail("a@council.gov.uk", subject="Meetings <moved>", date=T0, body=FROM_BODY),
        make_mail("b@trust.nhs.uk", subject="Re: Meetings <moved>", date=T0 + timedelta(days=1), parent="a@council.gov.uk",
                  sender=("Sam & Patel", "sam@trust.nhs.uk"), body="Fine by me.\x0b\n"),
        make_mail("c@x.org", subject="Another topic", date=T0 + timedelta(days=5)),
    ]
    ingest(db, settings, clock, *mails)
    return mails


def read_mbox(tmp_path, content: bytes) -> list:
    path = tmp_path / "out.mbox"
    path.write_bytes(content)
    return list(mailbox.mbox(str(path)))


def test_thread_mbox_round_trips(open_client, db, settings, clock, tmp_path):
    seed(db, settings, clock)
    response = open_client.get(f"/t/{thread_key_of(db, 'a@council.gov.uk')}.mbox")
    assert response.status_code == 200 and response.headers["content-type"] == "application/mbox"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    messages = read_mbox(tmp_path, response.content)
    assert [m["Message-ID"] for m in messages] == ["<a@council.gov.uk>", "<b@trust.nhs.uk>"]
    assert messages[0].get_from().startswith("MAILER-DAEMON Tue Nov 10 09:00:00 2026")
    # mboxrd: one more ">" on every From_-like line, so readers can undo it exactly.
    assert b"\n>From now on we meet on Tuesdays.\n>>From the archive: nothing.\n" in response.content
    assert b"\r\n" not in response.content


def test_archive_mbox_streams_with_date_range(open_client, db, settings, clock, tmp_path):
    client = open_client  # the exports hold every address: public only where addresses are shown
    seed(db, settings, clock)
    everything = read_mbox(tmp_path, client.get("/a/comms-network/export.mbox").content)
    assert len(everything) == 3
    ranged = client.get("/a/comms-network/export.mbox", params={"since": "2026-11-11", "until": "2026-11-15"})
    assert ranged.headers["content-disposition"] == 'attachment; filename="comms-network-from-2026-11-11-to-2026-11-15.mbox"'
    assert [m["Message-ID"] for m in read_mbox(tmp_path, ranged.content)] == ["<b@trust.nhs.uk>", "<c@x.org>"]
    empty_form = client.get("/a/comms-network/export.mbox", params={"since": "", "until": ""})
    assert len(read_mbox(tmp_path, empty_form.content)) == 3
    bad = client.get("/a/comms-network/export.mbox", params={"since": "last week"})
    assert bad.status_code == 400 and "year-month-day" in bad.text
    backwards = client.get("/a/comms-network/export.mbox", params={"since": "2026-11-12", "until": "2026-11-01"})
    assert backwards.status_code == 400


def test_archive_feed_is_atom(client, db, settings, clock):
    seed(db, settings, clock)
    response = client.get("/a/comms-network/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Another topic", "Meetings <moved>"]
    first = feed.findall(f"{ATOM}entry")[1]
    assert first.find(f"{ATOM}link").get("href") == f"http://archive.test/t/{thread_key_of(db, 'a@council.gov.uk')}"
    assert "From now on" in first.findtext(f"{ATOM}content")
    assert first.find(f"{ATOM}author").findtext(f"{ATOM}name") == "Jane Doe"


def test_thread_feed_is_atom_without_control_characters(client, db, settings, clock):
    seed(db, settings, clock)
    response = client.get(f"/t/{thread_key_of(db, 'a@council.gov.uk')}/feed.atom")
    feed = ET.fromstring(response.content)  # a raw \x0b would make this fail
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"http://archive.test/m/{hash_of(db, 'b@trust.nhs.uk')}", f"http://archive.test/m/{hash_of(db, 'a@council.gov.uk')}"]
    assert entries[0].find(f"{ATOM}author").findtext(f"{ATOM}name") == "Sam & Patel"
    assert "sam@trust.nhs.uk" not in response.text


def test_search_feed_is_atom(client, db, settings, clock):
    seed(db, settings, clock)
    feed = ET.fromstring(client.get("/a/comms-network/search/feed.atom", params={"q": "tuesdays"}).content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [f"http://archive.test/m/{hash_of(db, 'a@council.gov.uk')}"]
    assert "Tuesdays" in entries[0].findtext(f"{ATOM}content")
    assert client.get("/a/comms-network/search/feed.atom", params={"q": "before:soon"}).status_code == 400
    assert client.get("/a/private-list/search/feed.atom", params={"q": "x"}).status_code == 404
