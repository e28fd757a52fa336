"""SIGKILL `replyall serve` at random moments while four MTAs deliver: every 250 is archived exactly once."""

from __future__ import annotations

import random
import threading
import time

import pytest
from mta import LIST, NOWHERE, Endpoint, Item, Ledger, archive_counts, mail, send_all, wait_drained
from sqlalchemy import func, select

from replyall.db.engine import Database
from replyall.db.models import RawMessage
from support.serve import ServeProcess, serve_config

SEED = 20261121


def run_crash(tmp_path, url: str, *, total: int, kills: int, clients: int = 4, seed: int = SEED,
              budget: float = 600.0) -> dict:
    rng = random.Random(seed)
    # MTAs reconnect after every kill: the per-address connection limit must not be what we test here.
    config = serve_config(tmp_path, url, smtp="connections_per_minute = 100000\n")
    # One message in twenty goes to an address that is no archive: its 550 must leave no trace.
    items = [
        Item(f"crash-{i}-{seed}@mta.test", mail(f"crash-{i}-{seed}@mta.test", subject=f"Crash test {i}",
                                                body=f"Message {i} of {total}.\r\n"),
             rcpt=NOWHERE if rng.random() < 0.05 else LIST)
        for i in range(total)
    ]
    rng.shuffle(items)
    deadline = time.monotonic() + budget
    server = ServeProcess(config).start()
    endpoint, ledger = Endpoint(server.smtp_port), Ledger()
    leftovers: list[list[Item]] = []

    def client(shard: list[Item]) -> None:
        leftovers.append(send_all(shard, endpoint, ledger, deadline=deadline))

    threads = [threading.Thread(target=client, args=(items[k::clients],), daemon=True) for k in range(clients)]
    for thread in threads:
        thread.start()
    kill_points: list[int] = []
    try:
        segment = total // (kills + 1)
        for _ in range(kills):
            # A random moment: after a random number of further replies, with four clients mid-transaction
            # and the worker mid-pipeline.
            target = len(ledger.accepted) + len(ledger.refused) + rng.randint(max(1, segment // 4), segment)
            while len(ledger.accepted) + len(ledger.refused) < target:
                assert any(t.is_alive() for t in threads), "clients finished before the planned kills"
                assert time.monotonic() < deadline, "crash test ran out of time"
                time.sleep(0.005)
            endpoint.set(None)
            server.kill()
            kill_points.append(len(ledger.accepted) + len(ledger.refused))
            server.start()
            endpoint.set(server.smtp_port)
        for thread in threads:
            thread.join(max(1.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in threads), "clients did not finish in time"
        assert all(not rest for rest in leftovers), "undelivered messages left at the deadline"
        database = Database.from_url(url)
        try:
            wait_drained(database, deadline)
            raws, msgs, status = archive_counts(database)
            with database.reader() as session:
                deliveries = session.scalar(select(func.sum(RawMessage.delivery_count)))
        finally:
            database.close()
        assert server.terminate() == 0
    finally:
        server.kill()

    assert len(kill_points) == kills
    expected_refused = {item.mid for item in items if item.rcpt == NOWHERE}
    assert ledger.accepted | ledger.refused == {item.mid for item in items}
    assert ledger.refused == expected_refused  # only the bad recipient was ever refused
    # Every 250 is in the archive exactly once: one raw row, one message, processed.
    assert {mid for mid in ledger.accepted if raws.get(mid) != 1} == set()
    assert {mid for mid in ledger.accepted if msgs.get(mid) != 1} == set()
    assert {mid for mid in ledger.accepted if status.get(mid) != "done"} == set()
    # Nothing refused, nothing unexplained.
    assert set(raws) == ledger.accepted
    assert set(msgs) == ledger.accepted
    return {
        "messages": total, "accepted": len(ledger.accepted), "refused": len(ledger.refused), "kills": kills,
        "kill_points": kill_points, "retries": ledger.retries, "redelivered": deliveries - len(ledger.accepted),
        "codes": dict(sorted(ledger.codes.items())),
    }


@pytest.mark.timeout(900)
def test_sigkill_during_delivery_loses_and_duplicates_nothing(tmp_path, db_url):
    figures = run_crash(tmp_path, db_url, total=150, kills=3)
    print(f"\ncrash (short, {db_url.split(':')[0]}): {figures}")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sigkill_during_delivery_loses_and_duplicates_nothing_1000(tmp_path, db_url):
    figures = run_crash(tmp_path, db_url, total=1000, kills=6, seed=SEED + 1, budget=1500.0)
    print(f"\ncrash (1,000 messages, {db_url.split(':')[0]}): {figures}")
