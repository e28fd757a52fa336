"""Mail accepted while no worker runs is processed when one starts: the raw table is the queue."""

from __future__ import annotations

import asyncio
import smtplib
import time

from support.intake import make_message, raw_rows

from replyall.runtime import Parts, Service


def test_accepted_mail_survives_a_restart_and_is_processed(settings, db, clock):
    data = make_message("<restart@council.test>")

    async def receive_only() -> None:
        service = Service(settings, Parts(smtp=True, web=False, worker=False), clock=clock)
        await service.start()
        try:
            def send() -> None:
                with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=10) as client:
                    client.sendmail("alice@council.test", ["comms-network@archive.example.org"], data)

            await asyncio.to_thread(send)
        finally:
            await service.stop()

    asyncio.run(receive_only())
    assert [(r.raw, r.status) for r in raw_rows(db)] == [(data, "pending")]

    async def work_only() -> None:
        service = Service(settings, Parts(smtp=False, web=False, worker=True), clock=clock)
        await service.start()
        try:
            deadline = time.monotonic() + 60
            while raw_rows(db)[0].status == "pending":
                assert time.monotonic() < deadline, "pending message never processed"
                await asyncio.sleep(0.05)
        finally:
            await service.stop()

    asyncio.run(work_only())
    row = raw_rows(db)[0]
    assert row.status == "done", row.error
    assert row.raw == data
