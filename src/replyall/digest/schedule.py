"""When summaries go out: send instants and windows in the local time zone, and the scheduler loop."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.engine import Database

log = logging.getLogger(__name__)

#: Longest the scheduler sleeps before looking at the clock again: a suspended laptop
#: or a corrected system clock must not make it miss a day.
MAX_NAP = 300.0
#: How soon the scheduler tries again after the relay deferred some summaries.
RETRY_NAP = 900.0


def zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.web.time_zone)


def send_at(day: date, settings: Settings) -> datetime:
    """The UTC instant at which the summary for local date `day` is due.

    A send_time that does not exist on a spring-forward day (01:30 in London on the
    last Sunday of March) falls an hour later by PEP 495 fold=0 rules; one that exists
    twice in autumn is the first of the two.
    """
    hour, minute = (int(part) for part in settings.digest.send_time.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=zone(settings))
    # Round-trip through UTC normalises a non-existent wall time to a real instant.
    return local.astimezone(UTC)


def window(day: date, settings: Settings) -> tuple[datetime, datetime]:
    """[previous send instant, this send instant): 24 hours, or 23/25 across a DST change.

    Using the previous send instant rather than "minus 24 hours" means consecutive
    summaries neither overlap nor leave a gap when the clocks change.
    """
    return send_at(day - timedelta(days=1), settings), send_at(day, settings)


def latest_due_day(now: datetime, settings: Settings) -> date:
    """The local date of the most recent send instant at or before `now`."""
    today = now.astimezone(zone(settings)).date()
    return today if send_at(today, settings) <= now else today - timedelta(days=1)


def next_send_at(now: datetime, settings: Settings) -> datetime:
    """The first send instant strictly after `now` (UTC)."""
    today = now.astimezone(zone(settings)).date()
    for offset in (0, 1, 2):
        when = send_at(today + timedelta(days=offset), settings)
        if when > now:
            return when
    raise AssertionError("unreachable: a send instant exists within two days")


async def run_scheduler(db: Database, settings: Settings, clock: Clock, stop_event: asyncio.Event, **send_options) -> None:
    """Send each archive's summary at its send time until `stop_event` is set.

    After downtime only the latest window is sent (the most recent send instant), never
    one summary per missed day; claim rows make a restart right after sending harmless.
    `send_options` go to send.send_day (tests inject the relay's sleep function).
    """
    from replyall.digest.send import send_day

    done: date | None = None
    log.info("digest scheduler started", extra={"send_time": settings.digest.send_time, "zone": settings.web.time_zone})
    while not stop_event.is_set():
        nap = MAX_NAP
        day = latest_due_day(clock.now(), settings)
        if day != done:
            deferred = 0
            try:
                for archive in settings.archives:
                    report = await send_day(db, settings, clock, archive.slug, day, **send_options)
                    deferred += report.deferred
                done = day if deferred == 0 else None
                if deferred:
                    nap = RETRY_NAP
            except Exception:  # noqa: BLE001 - database or relay trouble: keep the service up, try later
                log.exception("digest run failed; will retry", extra={"day": day.isoformat()})
                nap = 60.0
        wait = min(nap, (next_send_at(clock.now(), settings) - clock.now()).total_seconds())
        try:
            await asyncio.wait_for(stop_event.wait(), timeout=max(wait, 0.0))
        except TimeoutError:
            pass
    log.info("digest scheduler stopped")
