"""The scheduler as `replyall serve` runs it, and the `replyall digest` commands for cron users."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner
from digest_helpers import archive_id, deliver, mail
from sqlalchemy import select

from replyall.cli import cli
from replyall.db.models import DigestClaim, Subscriber
from replyall.digest.schedule import run_scheduler


def subscribe(db, clock, address: str) -> None:
    with db.transaction() as session:
        session.add(Subscriber(archive_id=archive_id(db), address=address, status="active", nonce="n",
                               created_at=clock.now() - timedelta(days=30), confirmed_at=clock.now() - timedelta(days=30)))


def test_scheduler_after_downtime_sends_only_the_latest_window(db, settings, clock, sink):
    subscribe(db, clock, "reader@example.gov.uk")
    # Mail on four days while the service was down.
    for day in (20, 21, 22, 23):
        clock.set(datetime(2026, 11, day, 12, tzinfo=UTC))
        deliver(db, settings, clock, mail(f"m{day}@x", "Ann <ann@council.gov.uk>", f"Topic of the {day}th", "Details.", when=clock.now()))
    clock.set(datetime(2026, 11, 24, 10, tzinfo=UTC))  # back up at 10:00 on the 24th

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_scheduler(db, settings, clock, stop))
        deadline = time.monotonic() + 20
        while not sink.received and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.02)  # the sink is a real server in another thread
        stop.set()
        await asyncio.wait_for(task, 20)

    asyncio.run(run())
    assert len(sink.received) == 1
    text = sink.received[0].part("plain")
    news = text.split("Still unanswered")[0]
    assert "1 new message in 1 conversation" in news
    assert "Topic of the 23th" in news and "Topic of the 22th" not in news
    with db.reader() as session:
        assert [c.day for c in session.scalars(select(DigestClaim))] == [date(2026, 11, 24)]
    # Restarted within the same day: nothing goes out twice.
    asyncio.run(run())
    assert len(sink.received) == 1


def _env(settings) -> dict[str, str]:
    return {
        "REPLYALL_CONFIG": "",
        "REPLYALL_ENVIRONMENT": "production",
        "REPLYALL_DATABASE_URL": settings.database.url,
        "REPLYALL_WEB_SECRET_KEY": settings.web.secret_key,
        "REPLYALL_WEB_BASE_URL": settings.web.base_url,
        "REPLYALL_RELAY_HOST": settings.relay.host,
        "REPLYALL_RELAY_PORT": str(settings.relay.port),
        "REPLYALL_RELAY_FROM_ADDRESS": settings.relay.from_address,
        "REPLYALL_ARCHIVES": json.dumps([a.model_dump() for a in settings.archives]),
    }


def test_cli_send_preview_and_subscribers(db, settings, clock, sink):
    # The CLI reads the real clock: use a day safely in the past.
    day = datetime.now(UTC).date() - timedelta(days=3)
    clock.set(datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=14))
    deliver(db, settings, clock, mail("cli@x", "Ann <ann@council.gov.uk>", "Cron question", "How do you schedule posts?", when=clock.now()))
    subscribe(db, clock, "reader@example.gov.uk")
    runner, env = CliRunner(), _env(settings)

    preview = runner.invoke(cli, ["digest", "preview", "--archive", "comms-network", "--date", day.isoformat()], env=env)
    assert preview.exit_code == 0, preview.output
    assert "Cron question" in preview.output and "How do you schedule posts?" in preview.output
    assert sink.received == []  # a preview sends nothing

    sent = runner.invoke(cli, ["digest", "send", "--archive", "comms-network", "--date", day.isoformat()], env=env)
    assert sent.exit_code == 0, sent.output
    assert f"comms-network {day}: sent 1, already sent 0" in sent.output
    assert len(sink.received) == 1 and "Cron question" in sink.received[0].part("plain")
    again = runner.invoke(cli, ["digest", "send", "--date", day.isoformat()], env=env)
    assert "sent 0, already sent 1" in again.output and len(sink.received) == 1

    future = runner.invoke(cli, ["digest", "send", "--date", (datetime.now(UTC).date() + timedelta(days=2)).isoformat()], env=env)
    assert future.exit_code != 0 and "not over yet" in future.output
    bad = runner.invoke(cli, ["digest", "send", "--archive", "nope"], env=env)
    assert bad.exit_code == 2 and "no archive 'nope'" in bad.output

    listing = runner.invoke(cli, ["digest", "subscribers", "--archive", "comms-network"], env=env)
    assert listing.exit_code == 0 and "reader@example.gov.uk\tactive" in listing.output


def test_two_processes_sending_the_same_day_at_once(db, settings, clock, sink):
    import os
    import subprocess
    import sys

    day = datetime.now(UTC).date() - timedelta(days=3)
    clock.set(datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=14))
    deliver(db, settings, clock, mail("race@x", "Ann <ann@council.gov.uk>", "Race question", "Who sends first?", when=clock.now()))
    addresses = [f"reader{i:02d}@example.gov.uk" for i in range(30)]
    for address in addresses:
        subscribe(db, clock, address)
    env = {**os.environ, **_env(settings)}
    command = [sys.executable, "-m", "replyall", "digest", "send", "--archive", "comms-network", "--date", day.isoformat()]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    counts = [tuple(int(x) for x in re.findall(r"sent (\d+), already sent (\d+)", out)[0]) for out, _ in outputs]
    assert sum(sent for sent, _ in counts) == 30 and sum(already for _, already in counts) == 30
    assert sorted(r.rcpt_tos[0] for r in sink.received) == addresses


def test_serve_runs_the_scheduler_when_enabled(db, settings, settings_factory, clock, sink):
    from replyall.runtime import Parts, Service

    subscribe(db, clock, "reader@example.gov.uk")
    clock.set(datetime(2026, 11, 19, 12, tzinfo=UTC))
    deliver(db, settings, clock, mail("serve@x", "Ann <ann@council.gov.uk>", "Served", "Via the service.", when=clock.now()))
    clock.set(datetime(2026, 11, 20, 7, 0, 5, tzinfo=UTC))

    async def run(service: Service) -> list[str]:
        await service.start()
        names = [t.get_name() for t in service._tasks]
        deadline = time.monotonic() + 20
        while "digest" in names and not sink.received and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # the sink is a real server in another thread
        await service.stop()
        return names

    parts = Parts(smtp=False, web=False, worker=False)
    assert "digest" in asyncio.run(run(Service(settings, parts, clock)))
    assert len(sink.received) == 1 and "Served" in sink.received[0].part("plain")
    disabled = settings_factory(settings.database.url, relay=settings.relay.model_dump(), digest={"enabled": False})
    assert "digest" not in asyncio.run(run(Service(disabled, parts, clock)))
    assert "digest" not in asyncio.run(run(Service(settings, Parts(smtp=False, web=False, worker=False, digest=False), clock)))
