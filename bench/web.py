"""Web latency: requests/s and p99 for the archive home, a 200-message thread and a search, against /healthz.

Usage: python bench/web.py [ignored-corpora-dir] [--requests 200] [--threads 150] [--write docs/benchmarks.md]

Builds a fresh SQLite archive in a temporary directory through the real path
(store_raw, then the pipeline's drain: parse, clean, thread, store, index), serves
create_app() with uvicorn on 127.0.0.1:0 in a background thread, and drives it with
one httpx client, sequentially (one request at a time: the numbers are latency, not
a load test). Server time is measured by a pass-through ASGI wrapper around the app,
from the request entering the app to the last body byte leaving it. /healthz runs in
the same process and run as the reference: compare ratios, not absolute numbers, across
machines. Target: the 200-message thread page in at most 100 ms of server time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import select

from replyall.clock import FrozenClock
from replyall.config import Settings
from replyall.db import migrate
from replyall.db.archives import sync_archives
from replyall.db.engine import Database
from replyall.db.models import Archive, Message, Thread
from replyall.intake.store import store_raw
from replyall.pipeline.runner import drain
from replyall.web.app import create_app

LIST = "comms-network@archive.example.org"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WORDS = ("winter vaccination campaign assets press release council budget consultation social media toolkit "
         "embargo statement briefing partners rota incident flooding roadworks school admissions recycling").split()


def mail(mid: str, subject: str, when: datetime, sender: int, body: str, parent: str | None, refs: list[str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = f'"Person {sender}" <person{sender}@org{sender % 23}.gov.uk>'
    msg["To"] = LIST
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{mid}>"
    msg["Date"] = format_datetime(when)
    if parent:
        msg["In-Reply-To"] = f"<{parent}>"
        msg["References"] = " ".join(f"<{r}>" for r in refs[-20:])
    msg.set_content(body)
    return msg.as_bytes()


def paragraph(i: int, n: int = 40) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n)).capitalize() + "."


def corpus(small_threads: int) -> list[bytes]:
    out = []
    # The long thread: 200 messages, each quoting its parent and signing off.
    mids: list[str] = []
    for i in range(200):
        mid = f"long{i}@bench.example"
        parent = mids[(i - 1) if i % 4 else max(0, i - 3)] if i else None
        body = f"{paragraph(i)}\n\n{paragraph(i + 1, 25)}\n\nThanks\nPerson {i % 17}\n--\nPerson {i % 17}\nCommunications Officer\n"
        if parent:
            body += f"\nOn Mon, 5 Jan 2026, Person wrote:\n> {paragraph(i - 1, 30)}\n> {paragraph(i + 2, 20)}\n"
        out.append(mail(mid, "Winter resilience messaging" if i == 0 else "Re: Winter resilience messaging",
                        START + timedelta(minutes=7 * i), i % 17, body, parent, mids[:]))
        mids.append(mid)
    for t in range(small_threads):
        first = f"s{t}-0@bench.example"
        when = START + timedelta(hours=5 * t)
        out.append(mail(first, f"{WORDS[t % len(WORDS)].capitalize()} question {t}", when, t, paragraph(t), None, []))
        for r in range(1, 1 + t % 4):
            out.append(mail(f"s{t}-{r}@bench.example", f"Re: {WORDS[t % len(WORDS)].capitalize()} question {t}",
                            when + timedelta(minutes=30 * r), t + r, paragraph(t + r), first, [first]))
    return out


class Timed:
    """Pass-through ASGI wrapper recording server time per request path."""

    def __init__(self, app) -> None:
        self.app = app
        self.times: dict[str, list[float]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        await self.app(scope, receive, send)
        self.times.setdefault(scope["path"], []).append(time.perf_counter() - t0)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="?", help="ignored (make bench passes it to every script)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--threads", type=int, default=150)
    parser.add_argument("--write", help="replace the '## Web' section of this markdown file with the results")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="replyall-bench-web-"))
    url = f"sqlite:///{work / 'bench.db'}"
    migrate.upgrade(url)
    settings = Settings.model_validate({
        "database": {"url": url},
        "web": {"secret_key": "bench-secret-key-long-enough", "base_url": "http://127.0.0.1"},
        # One client sends every request: the per-client search limit would answer 429.
        "auth": {"searches_per_minute": 1_000_000},
        "archives": [{"slug": "comms-network", "name": "Comms network", "address": [LIST], "visibility": "public"}],
    })
    clock = FrozenClock(START + timedelta(days=40))
    db = Database.from_url(url)
    with db.transaction() as session:
        archive_id = sync_archives(session, settings, clock)["comms-network"]
    raws = corpus(args.threads)
    t0 = time.perf_counter()
    with db.transaction() as session:
        for raw in raws:
            store_raw(session, archive_id, raw, clock=clock, source="import")
    counts = drain(db, settings, clock)
    ingest_s = time.perf_counter() - t0
    with db.reader() as session:
        long_key = session.scalar(select(Thread.key).join(Message, Message.thread_id == Thread.id)
                                  .where(Message.message_id == "long0@bench.example"))
        long_count = session.scalar(select(Thread.message_count).where(Thread.key == long_key))
        threads = session.scalar(select(Archive.id).where(Archive.slug == "comms-network")) and len(
            session.scalars(select(Thread.id).where(Thread.message_count > 0)).all())
    print(f"ingested {len(raws)} messages in {ingest_s:.1f}s ({dict(counts)}); {threads} threads; "
          f"long thread {long_key} has {long_count} messages")

    app = Timed(create_app(settings, db, clock))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("uvicorn did not start")
        time.sleep(0.02)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"

    # The thread page keeps each message's rendered HTML (replyall.web.fragments): the
    # plain row measures repeat views, the "first view" row empties that cache before
    # every request (similar conversations stay cached in both, see docs/benchmarks.md).
    targets = [
        ("/healthz (reference)", "/healthz", False),
        ("archive home", "/a/comms-network", False),
        (f"thread, {long_count} messages", f"/t/{long_key}", False),
        ("search page", "/a/comms-network/search?q=vaccination+budget", False),
        (f"thread, {long_count} messages, first view", f"/t/{long_key}", True),
    ]
    rows = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for label, path, cold in targets:
            for _ in range(5):
                assert client.get(path).status_code == 200, path
            app.times.clear()
            latencies = []
            started = time.perf_counter()
            for _ in range(args.requests):
                if cold:
                    app.app.state.fragment_cache = None  # a fresh, empty cache on the next request
                t = time.perf_counter()
                response = client.get(path)
                latencies.append(time.perf_counter() - t)
                assert response.status_code == 200, (path, response.status_code)
            elapsed = time.perf_counter() - started
            server_times = app.times[path.split("?")[0]]
            print(f"  {label}: {elapsed:.1f}s", flush=True)
            rows.append((label, args.requests / elapsed, statistics.median(latencies) * 1000, pct(latencies, 0.99) * 1000,
                         statistics.median(server_times) * 1000, pct(server_times, 0.99) * 1000, len(response.content)))
    server.should_exit = True
    thread.join(timeout=10)
    db.close()

    ref = rows[0][1]
    lines = [
        "| page | requests/s | vs /healthz | p50 ms | p99 ms | server p50 ms | server p99 ms | page KB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, rps, p50, p99, s50, s99, size in rows:
        lines.append(f"| {label} | {rps:.0f} | {rps / ref:.2f} | {p50:.1f} | {p99:.1f} | {s50:.1f} | {s99:.1f} | {size / 1024:.0f} |")
    table = "\n".join(lines)
    print(table)
    for row in (rows[2], rows[4]):
        print(f"target ({row[0]}, server time <= 100 ms): p50 {'met' if row[4] <= 100 else 'NOT met'}, "
              f"p99 {'met' if row[5] <= 100 else 'NOT met'}")
    if args.write:
        write_section(Path(args.write), table, args, len(raws), threads, long_count)
    return 0


def write_section(path: Path, table: str, args, messages: int, threads: int, long_count: int) -> None:
    body = f"""## Web

Command: `python bench/web.py --requests {args.requests} --threads {args.threads} --write docs/benchmarks.md`

A fresh SQLite archive of {messages} messages in {threads} threads, built through the real
pipeline (including search indexing); uvicorn on 127.0.0.1 in the same process, one
httpx client sending {args.requests} sequential requests per page after 5 warm-ups.
"server" columns time the ASGI app itself (request in to last byte out); the others
are what the client saw. /healthz is the same-run reference. The thread page keeps each
message's rendered HTML (replyall.web.fragments): "thread" is a repeat view, "first view"
empties that cache before every request.

{table}

Target: the {long_count}-message thread page in at most 100 ms of server time on SQLite.
"""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Web\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(body + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + body
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
