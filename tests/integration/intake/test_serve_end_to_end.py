"""`replyall serve` as a real process: mail in over SMTP comes out processed; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import queue
import re
import signal
import smtplib
import subprocess
import threading
import time
import urllib.request

from support.intake import make_message

from replyall.db.engine import Database
from replyall.db.models import RawMessage
from support.serve import REPLYALL, read_lines as _lines, serve_config as _config

DEADLINE = 90.0


def test_serve_receives_processes_and_stops_on_sigterm(tmp_path, db_url):
    config = _config(tmp_path, db_url)
    proc = subprocess.Popen(
        [str(REPLYALL), "--config", str(config), "serve"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True).start()
    seen: list[str] = []
    try:
        smtp_port = web_url = None
        deadline = time.monotonic() + DEADLINE
        while smtp_port is None or web_url is None:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "serve exited during start-up:\n" + "".join(seen)
            seen.append(line)
            if "smtp listening" in line:
                smtp_port = int(re.search(r"\bport=(\d+)", line).group(1))
            if "web listening" in line:
                web_url = re.search(r"\burl=(\S+)", line).group(1)

        data = make_message("<end-to-end@council.test>", subject="Storm warning")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            assert client.sendmail("alice@council.test", ["comms-network@archive.example.org"], data) == {}

        database = Database.from_url(db_url)
        try:
            while True:
                with urllib.request.urlopen(f"{web_url.rstrip('/')}/healthz", timeout=10) as response:
                    health = json.load(response)
                with database.reader() as session:
                    row = session.query(RawMessage).one()
                if health["backlog"]["pending"] == 0 and row.status != "pending":
                    break
                assert time.monotonic() < deadline, f"not processed in time: {health}"
                time.sleep(0.1)
        finally:
            database.close()
        assert row.raw == data and row.status == "done", (row.status, row.error)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while (line := lines.get(timeout=10)) is not None:
        seen.append(line)
    log = "".join(seen)
    assert "message_id=end-to-end@council.test" in log  # intake and worker log the Message-ID
    assert "stopped" in log.splitlines()[-1]
