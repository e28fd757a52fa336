"""Intake throughput: SMTP delivery against a bare aiosmtpd sink, and import against a stdlib parse loop.

Usage: python bench/intake.py ../shared/corpora/list-ksummit.mbox.gz [--limit N] [--postgres URL]
                              [--clients 1,4,16] [--skip-import] [--import-limit N]

SMTP: one connection per message, as MTAs deliver, from 1, 4 and 16 concurrent
client threads (smtplib) in a separate process, against (a) an aiosmtpd server whose
handler only answers 250 and (b) replyall's listener storing durably (SQLite with
synchronous=FULL; PostgreSQL when --postgres or REPLYALL_TEST_POSTGRES_URL is given),
same client, same run, a fresh database per measurement.

Import: messages/s of `import_paths` (store + full pipeline) against a loop that only
parses the same messages with the standard library, and the peak RSS of an import
of the archive once and replayed three times (new Message-IDs for each copy).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.parser
import email.policy
import gzip
import json
import multiprocessing
import os
import queue
import re
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path


RCPT = "comms-network@archive.example.org"


def load(path: str, limit: int | None) -> list[bytes]:
    from replyall.intake.importer import iter_mbox

    out = []
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as stream:
        for data in iter_mbox(stream):
            out.append(data)
            if limit and len(out) >= limit:
                break
    return out


# --- SMTP client (runs in its own process so it does not share the server's GIL) --------------


def _client_process(port: int, path: str, limit: int | None, clients: int, results) -> None:
    messages = load(path, limit)
    work: queue.Queue = queue.Queue()
    for data in messages:
        work.put(data)
    errors: list[str] = []

    def deliver() -> None:
        while True:
            try:
                data = work.get_nowait()
            except queue.Empty:
                return
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                    client.sendmail("bench@client.test", [RCPT], data)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=deliver) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    results.put({"messages": len(messages), "seconds": elapsed, "errors": len(errors), "sample": errors[:3]})


def drive(port: int, path: str, limit: int | None, clients: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    proc = ctx.Process(target=_client_process, args=(port, path, limit, clients, results))
    proc.start()
    out = results.get()
    proc.join()
    out["rate"] = out["messages"] / out["seconds"]
    return out


# --- servers, in a background event loop of this process ------------------------------------


class Loop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


async def start_sink():
    from aiosmtpd.smtp import SMTP

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    class LongLines(SMTP):
        line_length_limit = 64 * 1024  # real archives have lines over 1,000 octets; same as ours

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: LongLines(Sink(), data_size_limit=26_214_400, enable_SMTPUTF8=True, hostname="sink", loop=loop),
        host="127.0.0.1", port=0,
    )
    return server


def fresh_sqlite(tmp: Path) -> str:
    from replyall.db import migrate

    url = f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    migrate.upgrade(url)
    return url


class FreshPostgres:
    def __init__(self, admin: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from replyall.db.engine import normalise_url

        self.admin_url = normalise_url(admin)
        self.engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []
        self._make_url = make_url

    def new(self) -> str:
        from sqlalchemy import text

        from replyall.db import migrate

        name = f"replyall_bench_{uuid.uuid4().hex[:8]}"
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        url = self._make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        return url

    def drop_all(self) -> None:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


def settings_for(url: str):
    from replyall.config import Settings

    return Settings.model_validate({
        "database": {"url": url},
        "smtp": {"host": "127.0.0.1", "port": 0, "max_connections": 1000, "connections_per_minute": 1_000_000},
        "web": {"secret_key": "bench-secret-key-long-enough"},
        "archives": [{"slug": "comms-network", "name": "Bench", "address": [RCPT]}],
    })


def bench_ours(loop: Loop, url: str, path: str, limit: int | None, clients: int) -> dict:
    from replyall.clock import SystemClock
    from replyall.db.engine import Database
    from replyall.intake.smtp import start_server

    settings = settings_for(url)
    db = Database.from_url(url, pool_size=max(5, clients))
    server = loop.run(start_server(settings, db, SystemClock()))
    try:
        out = drive(server.port, path, limit, clients)
    finally:
        loop.run(server.close())
        db.close()
    with Database.from_url(url).engine.connect() as conn:
        from sqlalchemy import text

        out["stored"] = conn.execute(text("SELECT count(*), sum(delivery_count) FROM raw_messages")).one()[1]
    return out


def _median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def smtp_bench(args, tmp: Path) -> list[dict]:
    """Sink and our server measured in alternation, `rounds` times, so that load from other
    processes on the host falls on both alike; the medians are reported."""
    loop = Loop()
    rows = []
    pg = FreshPostgres(args.postgres) if args.postgres else None
    targets = ["sink", "sqlite"] + (["postgres"] if pg is not None else [])
    try:
        for clients in args.clients:
            runs: dict[str, list[dict]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name in targets:
                    if name == "sink":
                        sink = loop.run(start_sink())
                        runs[name].append(drive(sink.sockets[0].getsockname()[1], args.mbox, args.limit, clients))
                        sink.close()
                    else:
                        url = fresh_sqlite(tmp) if name == "sqlite" else pg.new()
                        runs[name].append(bench_ours(loop, url, args.mbox, args.limit, clients))
            row = {"clients": clients, "runs": runs}
            for name in targets:
                row[name] = {"rate": _median([r["rate"] for r in runs[name]]),
                             "errors": sum(r["errors"] for r in runs[name])}
            rows.append(row)
            base = row["sink"]["rate"]
            line = f"clients {clients:>2}: sink {base:7.1f}/s"
            for name in targets[1:]:
                r = row[name]
                line += f" | {name} {r['rate']:7.1f}/s ({r['rate'] / base:.0%}, errors {r['errors']})"
            print(line, f"[medians of {args.rounds} alternating rounds]", flush=True)
            for name in targets:  # the sink refuses lines over its limit; anything else is worth a look
                for sample in sorted({s for r in runs[name] for s in r["sample"]}):
                    print(f"    {name}: {sample}", flush=True)
    finally:
        if pg is not None:
            pg.drop_all()
        loop.stop()
    return rows


# --- import -----------------------------------------------------------------------------------


def _child_import(path: str, url: str, process: str = "process") -> None:
    """Runs in a fresh interpreter: import PATH, print rate and peak RSS as JSON."""
    from replyall.clock import SystemClock
    from replyall.db.archives import sync_archives
    from replyall.db.engine import Database
    from replyall.intake.importer import import_paths

    settings = settings_for(url)
    db = Database.from_url(url)
    with db.transaction() as session:
        archive_id = sync_archives(session, settings, SystemClock())["comms-network"]
    start = time.perf_counter()
    result = import_paths(db, settings, SystemClock(), archive_id, [Path(path)], process=process == "process")
    seconds = time.perf_counter() - start
    db.close()
    hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print(json.dumps({
        "messages": result.seen, "imported": result.imported, "seconds": seconds,
        "rate": result.seen / seconds, "peak_rss_mb": hwm / 1024, "statuses": dict(result.statuses),
    }))


def stdlib_parse(messages: list[bytes]) -> dict:
    parser = email.parser.BytesParser(policy=email.policy.default)
    start = time.perf_counter()
    for data in messages:
        msg = parser.parsebytes(data)
        body = msg.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()
    seconds = time.perf_counter() - start
    return {"messages": len(messages), "seconds": seconds, "rate": len(messages) / seconds}


def replayed(messages: list[bytes], copies: int, target: Path) -> None:
    """An mboxrd.gz of the archive `copies` times, each copy's Message-IDs made new."""
    from_line = b"From bench@client.test Thu Nov 19 10:00:00 2026\n"
    mid = re.compile(rb"^(message-id:[ \t]*<)", re.I | re.M)
    with gzip.open(target, "wb", compresslevel=1) as out:
        for copy in range(copies):
            for data in messages:
                head, sep, body = data.partition(b"\n\n")
                head = mid.sub(rb"\1r%d." % copy, head, count=1)
                out.write(from_line)
                for line in (head + sep + body).splitlines(keepends=True):
                    out.write(b">" + line if line.lstrip(b">").startswith(b"From ") else line)
                out.write(b"\n")


def import_bench(args, tmp: Path) -> dict:
    messages = load(args.mbox, args.import_limit)
    parse = stdlib_parse(messages)
    out = {"stdlib_parse": parse}
    runs = [("store_only_x1", 1, "store")] + ([] if args.store_only else [("import_x1", 1, "process"),
                                                                          ("import_x3", 3, "process")])
    for name, copies, mode in runs:
        target = tmp / f"replay-{copies}.mbox.gz"
        if not target.exists():
            replayed(messages, copies, target)
        url = fresh_sqlite(tmp)
        proc = subprocess.run(
            [sys.executable, __file__, "--child-import", str(target), url, mode], capture_output=True, text=True,
            check=True,
        )
        out[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    store = out["store_only_x1"]
    print(f"import, store only: {store['rate']:.1f} msg/s vs stdlib parse {parse['rate']:.1f} msg/s "
          f"({store['rate'] / parse['rate']:.0%}); peak RSS {store['peak_rss_mb']:.0f} MB", flush=True)
    if not args.store_only:
        one, three = out["import_x1"], out["import_x3"]
        print(f"import: {one['rate']:.1f} msg/s (store + pipeline) vs stdlib parse {parse['rate']:.1f} msg/s "
              f"({one['rate'] / parse['rate']:.1%}); peak RSS x1 {one['peak_rss_mb']:.0f} MB, "
              f"x3 {three['peak_rss_mb']:.0f} MB", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mbox", nargs="?")
    parser.add_argument("--limit", type=int, default=None, help="messages per SMTP run (default: all)")
    parser.add_argument("--import-limit", type=int, default=None, help="messages for the import benchmark")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--rounds", type=int, default=3, help="alternating sink/ours rounds per client count")
    parser.add_argument("--postgres", default=os.environ.get("REPLYALL_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-smtp", action="store_true")
    parser.add_argument("--store-only", action="store_true", help="import benchmark without the pipeline runs")
    parser.add_argument("--json", help="write all results here")
    parser.add_argument("--child-import", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        _child_import(*args.child_import)
        return
    if not args.mbox:
        parser.error("give the path of an mbox or mbox.gz")
    args.clients = [int(c) for c in args.clients.split(",")]
    results: dict = {"mbox": args.mbox, "limit": args.limit, "loadavg_start": os.getloadavg()}
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="replyall-bench-") as tmp:
        if not args.skip_smtp:
            results["smtp"] = smtp_bench(args, Path(tmp))
        if not args.skip_import:
            results["import"] = import_bench(args, Path(tmp))
    results["loadavg_end"] = os.getloadavg()
    print(f"load average at end: {os.getloadavg()[0]:.1f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
