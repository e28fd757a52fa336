"""Connection limits, per-address rate, idle timeout, STARTTLS and a graceful close, on a real listener."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
import subprocess
import time

import pytest
from support.intake import make_message, raw_rows


def test_too_many_connections_421(live_factory, settings_factory, settings):
    server = live_factory(settings_factory(settings.database.url, smtp={"max_connections": 2}))
    first, second = server.client(), server.client()
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    assert refused.value.smtp_code == 421 and refused.value.smtp_error.startswith(b"4.7.0")
    first.quit()
    # A freed slot is usable again (poll: the server notices the QUIT asynchronously).
    deadline = time.monotonic() + 5
    while True:
        try:
            third = server.client()
            break
        except smtplib.SMTPConnectError:
            assert time.monotonic() < deadline, "slot never freed"
    third.quit()
    second.quit()


def test_per_address_connection_rate_421(live_factory, settings_factory, settings, db):
    server = live_factory(settings_factory(settings.database.url, smtp={"connections_per_minute": 3}))
    for n in range(3):
        server.send(make_message(f"<rate-{n}@x>"))
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    assert refused.value.smtp_code == 421 and refused.value.smtp_error.startswith(b"4.7.0")
    assert len(raw_rows(db)) == 3


def test_idle_client_is_disconnected(live_factory, settings_factory, settings):
    server = live_factory(settings_factory(settings.database.url, smtp={"idle_timeout": 0.3}))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        started = time.monotonic()
        greeting = sock.recv(1024)
        assert greeting.startswith(b"220 archive.test")
        # Say nothing; the server must hang up on its own (recv returns b"" at EOF).
        assert sock.recv(1024) == b""
        assert 0.25 <= time.monotonic() - started < 5


def test_slow_but_steady_upload_is_not_idle(live_factory, settings_factory, settings, db):
    server = live_factory(settings_factory(settings.database.url, smtp={"idle_timeout": 0.5}))
    with server.client() as client:
        client.mail("alice@council.test")
        client.rcpt("comms-network@archive.example.org")
        client.putcmd("data")
        assert client.getreply()[0] == 354
        data = make_message("<slow@x>")
        for n in range(6):  # 6 x 0.2 s > idle_timeout, but never 0.5 s without a byte
            client.sock.sendall(data if n == 0 else b"more\r\n")
            time.sleep(0.2)
        client.sock.sendall(b".\r\n")
        assert client.getreply()[0] == 250
    assert raw_rows(db)[0].raw == data + b"more\r\n" * 5


@pytest.fixture
def certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=archive.test"],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


def test_starttls_when_configured(live_factory, settings_factory, settings, db, certificate):
    cert, key = certificate
    server = live_factory(settings_factory(settings.database.url, smtp={"tls_cert": cert, "tls_key": key}))
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = False
    with server.client() as client:
        assert client.has_extn("starttls")
        assert client.starttls(context=context)[0] == 220
        client.ehlo("client.test")
        assert not client.has_extn("starttls") and not client.has_extn("auth")
        assert client.sock.version() is not None  # really encrypted
        client.sendmail("alice@council.test", ["comms-network@archive.example.org"], make_message("<tls@x>"))
    assert [r.message_id for r in raw_rows(db)] == ["tls@x"]


def test_close_lets_a_message_in_flight_finish(live_factory, settings, db):
    server = live_factory(settings)
    client = server.client()
    client.mail("alice@council.test")
    client.rcpt("comms-network@archive.example.org")
    client.putcmd("data")
    assert client.getreply()[0] == 354
    data = make_message("<in-flight@x>")
    client.sock.sendall(data[:40])
    closing = asyncio.run_coroutine_threadsafe(server.server.close(), server.loop)
    # New connections are refused once close() has begun.
    deadline = time.monotonic() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        except OSError:
            break
        assert time.monotonic() < deadline, "still accepting after close()"
    assert not closing.done()
    client.sock.sendall(data[40:] + b".\r\n")
    assert client.getreply()[0] == 250
    closing.result(15)
    assert [r.raw for r in raw_rows(db)] == [data]
    client.close()
    server.server.close = _noop  # already closed; the fixture's close() must not fail


async def _noop() -> None:
    return None
