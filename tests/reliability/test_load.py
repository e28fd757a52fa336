"""Sixteen MTAs deliver for a fixed time while readers page threads and search: no errors, latencies recorded."""

from __future__ import annotations

import itertools
import random
import threading
import time

import httpx
import pytest
from mta import Endpoint, Item, Ledger, archive_counts, mail, percentiles, send_all, wait_drained
from sqlalchemy import select

from replyall.db.engine import Database
from replyall.db.models import Message, Thread
from support.serve import ServeProcess, serve_config

WORDS = ["budget", "vaccination", "winter", "consultation", "storm", "flood", "campaign", "press", "toolkit"]


def seed_threads(count: int) -> list[Item]:
    return [Item(f"seed-{t}@load.test", mail(f"seed-{t}@load.test", subject=f"{WORDS[t % len(WORDS)]} thread {t}",
                                             body=f"Opening message about {WORDS[t % len(WORDS)]}.\r\n"))
            for t in range(count)]


def client_items(client: int, seeds: list[Item], rng: random.Random):
    """An endless supply of replies into the seed threads (References set, so threading has work)."""
    for n in itertools.count():
        seed = rng.choice(seeds)
        mid = f"load-{client}-{n}@load.test"
        word = rng.choice(WORDS)
        yield Item(mid, mail(mid, subject=f"Re: {seed.mid}", parent=seed.mid, refs=[seed.mid],
                             sender=f"Sender {client} <s{client}@trust{client % 4}.nhs.uk>",
                             body=f"Reply {n} from client {client} on {word}.\r\n\r\n> quoted text\r\n"))


def run_load(tmp_path, url: str, *, seconds: float, smtp_clients: int = 16, http_clients: int = 2,
             seed: int = 7) -> dict:
    config = serve_config(
        tmp_path, url, smtp="connections_per_minute = 100000\n",
        tables="[auth]\nsearches_per_minute = 100000\n",
    )
    server = ServeProcess(config).start()
    try:
        endpoint, ledger = Endpoint(server.smtp_port), Ledger()
        seeds = seed_threads(12)
        assert send_all(seeds, endpoint, ledger, deadline=time.monotonic() + 60) == []
        database = Database.from_url(url)
        try:
            wait_drained(database, time.monotonic() + 120)
            with database.reader() as session:
                thread_keys = list(session.scalars(select(Thread.key)))
                hashes = list(session.scalars(select(Message.message_id_hash).where(Message.is_ghost.is_(False))))
            assert thread_keys and hashes

            stop_at = time.monotonic() + seconds
            http_latencies: list[float] = []
            http_status: dict[int, int] = {}
            undelivered: list[Item] = []
            lock = threading.Lock()

            def mta(k: int) -> None:
                rng = random.Random(seed * 100 + k)
                items = client_items(k, seeds, rng)
                # One connection per MTA, messages back to back until the time is up.
                while time.monotonic() < stop_at:
                    batch = [next(items) for _ in range(5)]
                    undelivered.extend(send_all(batch, endpoint, ledger, deadline=stop_at + 30))

            def reader(k: int, until=lambda: time.monotonic() < stop_at, out=http_latencies) -> None:
                rng = random.Random(seed * 1000 + k)
                with httpx.Client(base_url=server.web_url, timeout=30) as client:
                    while until():
                        kind = rng.random()
                        if kind < 0.5:
                            path, params = f"/t/{rng.choice(thread_keys)}", None
                        elif kind < 0.8:
                            path, params = "/a/comms-network/search", {"q": rng.choice(WORDS)}
                        else:
                            path, params = f"/m/{rng.choice(hashes)}", None
                        started = time.monotonic()
                        response = client.get(path, params=params)
                        took = time.monotonic() - started
                        with lock:
                            out.append(took)
                            http_status[response.status_code] = http_status.get(response.status_code, 0) + 1

            # Same-run reference: the same reader on the idle service, so the figures read as ratios.
            idle: list[float] = []
            reader(99, until=lambda: len(idle) < 20, out=idle)
            stop_at = time.monotonic() + seconds
            threads = [threading.Thread(target=mta, args=(k,), daemon=True) for k in range(smtp_clients)]
            threads += [threading.Thread(target=reader, args=(k,), daemon=True) for k in range(http_clients)]
            smtp_before = len(ledger.latencies)
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(seconds + 120)
            assert not any(t.is_alive() for t in threads)
            loaded = time.monotonic()
            wait_drained(database, loaded + max(600.0, seconds * 30))
            drain_seconds = time.monotonic() - loaded
            raws, msgs, status = archive_counts(database)
        finally:
            database.close()
        assert server.terminate() == 0
    finally:
        server.kill()
    log = server.collect()

    assert ledger.codes == {250: len(ledger.accepted)}, ledger.codes  # no 4xx, no 5xx, not one
    assert ledger.retries == 0 and ledger.refused == set() and undelivered == []
    assert set(http_status) == {200}, http_status
    assert {mid for mid in ledger.accepted if raws.get(mid) != 1 or msgs.get(mid) != 1} == set()
    assert {mid for mid in ledger.accepted if status.get(mid) != "done"} == set()
    assert "Traceback" not in log and "level=error" not in log, log[-3000:]
    smtp_count = len(ledger.latencies) - smtp_before
    return {
        "seconds": seconds, "smtp_clients": smtp_clients, "messages": smtp_count,
        "messages_per_second": round(smtp_count / seconds, 1), "smtp": percentiles(ledger.latencies[smtp_before:]),
        "http_requests": len(http_latencies), "http": percentiles(http_latencies), "http_idle": percentiles(idle),
        "drain_after_load_seconds": round(drain_seconds, 1),
    }


@pytest.mark.timeout(900)
def test_sixteen_mtas_and_readers_for_a_few_seconds(tmp_path, db_url):
    figures = run_load(tmp_path, db_url, seconds=5)
    print(f"\nload (short, {db_url.split(':')[0]}): {figures}")


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_sixteen_mtas_and_readers_for_a_minute(tmp_path, db_url):
    figures = run_load(tmp_path, db_url, seconds=60)
    print(f"\nload (60 s, {db_url.split(':')[0]}): {figures}")
