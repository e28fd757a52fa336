"""Search latency and index size at scale, on SQLite and PostgreSQL, from a replayed real archive.

Usage: python bench/search.py ../shared/corpora [--messages 100000] [--dialects sqlite,postgres]
       [--pg-url postgresql://postgres@127.0.0.1/postgres] [--work /tmp/replyall-bench-search]

The list-*.mbox.gz archives are parsed and cleaned once per distinct message (the
pipeline's own parse_message and clean_text), then replayed as many times as needed
with rewritten Message-IDs, thread keys and dates shifted by six years per copy.
Messages go in with bulk INSERTs; the index is then built by replyall.search.rebuild,
the same code (Document.build + write_documents) as the pipeline's index step.
100 queries are drawn from the corpus with a fixed seed: single words of three
frequency bands, two words, phrases from subjects, and operators (from:, subject:,
prefix*, -exclusion, OR, before:/after:, has:attachment, quoted:). Each query runs
once to warm up, then is timed over the full search() path (ranking, grouping by
thread, snippets) for page 1 of 20 threads.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import mailbox
import os
import pickle
import random
import shutil
import statistics
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path


from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from replyall.cleaning import clean_text
from replyall.db import migrate
from replyall.db.engine import Database, normalise_url
from replyall.db.models import Archive, Attachment, Message, Thread
from replyall.mail.headers import message_id_hash
from replyall.mail.mime import parse_message
from replyall.search import rebuild, search
from replyall.search.similar import STOP
from replyall.search.text import tokens

SIX_YEARS = timedelta(days=6 * 365)


def load_corpus(corpora: Path, cache: Path) -> list[dict]:
    """Every message of list-*.mbox.gz, parsed and cleaned once (cached between runs)."""
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    out: list[dict] = []
    for path in sorted(corpora.glob("list-*.mbox.gz")):
        tmp = cache.parent / (path.stem + ".tmp")
        with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        started = time.perf_counter()
        for msg in mailbox.mbox(tmp):
            raw = msg.as_bytes()
            parsed = parse_message(raw)
            cleaned = clean_text(parsed.text or "", html=parsed.html, from_address=parsed.from_[1] if parsed.from_ else None)
            out.append({
                "mid": parsed.effective_message_id, "refs": list(parsed.references) + list(parsed.in_reply_to),
                "subject": parsed.subject or "", "from": parsed.from_ or ("", ""),
                "to": [list(p) for p in parsed.to], "cc": [list(p) for p in parsed.cc], "date": parsed.date,
                "body": cleaned.body, "quote": cleaned.quote, "signature": cleaned.signature,
                "disclaimer": cleaned.disclaimer, "files": [a.filename or "" for a in parsed.attachments],
            })
        tmp.unlink()
        print(f"  parsed and cleaned {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    cache.write_bytes(pickle.dumps(out))
    return out


def roots(corpus: list[dict]) -> list[str]:
    known = {m["mid"] for m in corpus}
    out = []
    for m in corpus:
        root = next((r for r in m["refs"] if r in known), m["mid"])
        out.append(root)
    return out


def build(url: str, corpus: list[dict], total: int) -> tuple[int, float, float]:
    """Migrate, bulk-insert `total` messages, build the index; (archive id, insert s, index s)."""
    migrate.upgrade(url)
    db = Database.from_url(url)
    root_of = roots(corpus)
    started = time.perf_counter()
    with db.transaction() as s:
        archive_id = s.execute(insert(Archive).values(
            slug="bench", name="Bench", description="", visibility="public", created_at=corpus[0]["date"],
        ).returning(Archive.id)).scalar_one()
    next_thread, next_message, done, copy = 1, 1, 0, 0
    while done < total:
        threads: dict[str, int] = {}
        thread_rows, message_rows, attachment_rows = [], [], []
        for item, root in zip(corpus, root_of, strict=True):
            if done >= total:
                break
            shift = SIX_YEARS * copy
            when = item["date"] + shift if item["date"] else None
            if root not in threads:
                threads[root] = next_thread
                thread_rows.append(dict(
                    id=next_thread, archive_id=archive_id, key=hashlib.sha1(f"{copy}:{root}".encode()).hexdigest()[:16],
                    subject=item["subject"], subject_key="", started_at=when, last_activity_at=when, message_count=0,
                    participant_count=0,
                ))
                next_thread += 1
            mid = f"c{copy}.{item['mid']}"
            message_rows.append(dict(
                id=next_message, archive_id=archive_id, thread_id=threads[root], message_id=mid,
                message_id_hash=message_id_hash(mid), subject=item["subject"], from_name=item["from"][0] or "",
                from_address=(item["from"][1] or "").lower(), to=item["to"], cc=item["cc"], date=when,
                body=item["body"], quote=item["quote"], signature=item["signature"], disclaimer=item["disclaimer"],
                has_attachments=bool(item["files"]), references=[],
            ))
            for pos, name in enumerate(item["files"]):
                attachment_rows.append(dict(message_id=next_message, position=pos, filename=name, size=0, sha256="", data=b""))
            next_message += 1
            done += 1
        with db.transaction() as s:
            s.execute(insert(Thread), thread_rows)
            for i in range(0, len(message_rows), 2000):
                s.execute(insert(Message), message_rows[i : i + 2000])
            if attachment_rows:
                s.execute(insert(Attachment), attachment_rows)
            s.execute(text(
                "UPDATE threads SET message_count = (SELECT count(*) FROM messages m WHERE m.thread_id = threads.id) "
                "WHERE id >= :lo"), {"lo": thread_rows[0]["id"]})
        copy += 1
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    with db.transaction() as s:
        rebuild(s)
    indexed = time.perf_counter() - started
    db.close()
    return archive_id, inserted, indexed


def make_queries(corpus: list[dict], n: int = 100) -> list[str]:
    rng = random.Random(42)
    words: Counter[str] = Counter()
    for m in corpus:
        words.update(t for t in set(tokens(m["subject"] + " " + m["body"][:2000])) if len(t) >= 4 and not t.isdigit() and t not in STOP)
    ranked = [w for w, _ in words.most_common()]
    common, middle, rare = ranked[:200], ranked[200:2000], ranked[2000:20000]
    subjects = [m["subject"] for m in corpus if len(tokens(m["subject"])) >= 3]
    senders = [t for m in corpus for t in tokens(m["from"][0])[:1] if len(t) >= 3]
    qs: list[str] = []
    for band in (common, middle, rare):
        qs += [rng.choice(band) for _ in range(12)]
    qs += [f"{rng.choice(middle)} {rng.choice(common)}" for _ in range(12)]
    qs += [f"{rng.choice(middle)} {rng.choice(middle)}" for _ in range(8)]
    for _ in range(12):
        toks = [t for t in tokens(rng.choice(subjects)) if t not in ("re", "fwd", "patch")]
        i = rng.randrange(max(1, len(toks) - 1))
        qs.append('"' + " ".join(toks[i : i + 2]) + '"')
    qs += [f"from:{rng.choice(senders)}" for _ in range(4)]
    qs += [f"from:{rng.choice(senders)} {rng.choice(common)}" for _ in range(4)]
    qs += [f"subject:{rng.choice(middle)}" for _ in range(4)]
    qs += [f"{rng.choice(middle)[:4]}*" for _ in range(4)]
    qs += [f"{rng.choice(common)} -{rng.choice(common)}" for _ in range(4)]
    qs += [f"{rng.choice(middle)} OR {rng.choice(middle)}" for _ in range(4)]
    qs += [f"{rng.choice(common)} after:2028-01-01 before:2036-01-01" for _ in range(3)]
    qs += [f"{rng.choice(middle)} has:attachment" for _ in range(3)]
    qs += [f"quoted:{rng.choice(middle)}" for _ in range(2)]
    return qs[:n]


def measure(url: str, archive_id: int, queries: list[str]) -> dict:
    db = Database.from_url(url)
    timings, cpu, hits = [], [], []
    with db.reader() as s:
        for q in queries:
            search(s, q, archive_ids=[archive_id])
        for q in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            page = search(s, q, archive_ids=[archive_id])
            timings.append((time.perf_counter() - started) * 1000)
            # CPU time of this process: on SQLite the whole query runs here, so this is
            # the latency an idle machine would see; wall time also counts waiting for a
            # core on a shared one.
            cpu.append((time.process_time() - started_cpu) * 1000)
            hits.append(page.total)
    slow = sorted(zip(timings, queries), reverse=True)[:5]
    db.close()
    timings.sort()
    cpu.sort()
    return {
        "p50": statistics.median(timings), "p95": timings[int(len(timings) * 0.95) - 1], "max": timings[-1],
        "cpu_p50": statistics.median(cpu), "cpu_p95": cpu[int(len(cpu) * 0.95) - 1],
        "slowest": slow, "median_threads": statistics.median(hits),
    }


def index_bytes(url: str) -> int:
    engine = create_engine(normalise_url(url))
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            size = c.execute(text("SELECT pg_total_relation_size('search_fts')")).scalar()
        else:
            try:
                size = c.execute(text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_fts%'")).scalar()
            except Exception:  # noqa: BLE001 - dbstat not compiled in: whole file minus a copy without the index
                size = None
    engine.dispose()
    return int(size or 0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", type=Path)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--dialects", default="sqlite,postgres")
    ap.add_argument("--pg-url", default=os.environ.get("REPLYALL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/replyall-bench-search"))
    ap.add_argument("--reuse", action="store_true", help="SQLite: measure the database a previous run built")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(args.corpora, args.work / "corpus.pickle")
    seen: set[str] = set()
    # A Message-ID delivered twice is one message (intake keeps one raw copy per archive).
    corpus = [m for m in corpus if not (m["mid"] in seen or seen.add(m["mid"]))]
    queries = make_queries(corpus)
    print(f"corpus: {len(corpus)} distinct messages; {args.messages:,} to insert; {len(queries)} queries")
    for dialect in args.dialects.split(","):
        if dialect == "sqlite":
            path = args.work / f"search-{args.messages}.db"
            url, drop = f"sqlite:///{path}", None
            if args.reuse and path.exists():
                migrate.upgrade(url)
                size = index_bytes(url)
                result = measure(url, 1, queries)
                report(dialect, args.messages, None, None, size, result)
                continue
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            admin = normalise_url(args.pg_url)
            name = f"replyall_bench_{uuid.uuid4().hex[:8]}"
            engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(admin).set(database=name).render_as_string(hide_password=False)
            drop = (engine, name)
        try:
            archive_id, inserted, indexed = build(url, corpus, args.messages)
            if dialect == "postgres":
                with create_engine(normalise_url(url), isolation_level="AUTOCOMMIT").connect() as c:
                    c.execute(text("VACUUM ANALYZE"))
            size = index_bytes(url)
            result = measure(url, archive_id, queries)
            report(dialect, args.messages, inserted, indexed, size, result)
        finally:
            if drop is not None:
                with drop[0].connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{drop[1]}" WITH (FORCE)'))
                drop[0].dispose()


def report(dialect: str, messages: int, inserted: float | None, indexed: float | None, size: int, result: dict) -> None:
    built = f"inserted in {inserted:.0f} s, indexed in {indexed:.0f} s; " if inserted is not None else "(reused); "
    print(
        f"{dialect}: {messages:,} messages {built}"
        f"index {size / 2**20:.0f} MiB = {size / messages:,.0f} bytes/message; "
        f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, max {result['max']:.1f} ms "
        f"(CPU of this process p50 {result['cpu_p50']:.1f} ms, p95 {result['cpu_p95']:.1f} ms; "
        f"load average {os.getloadavg()[0]:.1f}); "
        f"median threads found {result['median_threads']:.0f}",
        flush=True,
    )
    print("  slowest: " + "; ".join(f"{q!r} {t:.0f} ms" for t, q in result["slowest"]))


if __name__ == "__main__":
    main()
