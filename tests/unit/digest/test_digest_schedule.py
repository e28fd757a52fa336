"""Send instants and windows in the archive's time zone, across both DST changes (pure, frozen clocks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from replyall.clock import FrozenClock
from replyall.config import Settings
from replyall.digest.schedule import latest_due_day, next_send_at, send_at, window


def settings(send_time: str = "07:00", zone: str = "Europe/London") -> Settings:
    return Settings.model_validate({
        "environment": "development",
        "web": {"time_zone": zone, "secret_key": "test-secret-key-that-is-long-enough"},
        "digest": {"send_time": send_time},
    })


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_send_instant_follows_local_time_across_spring_forward():
    s = settings()
    # 28 March 2027: London moves from GMT to BST at 01:00 UTC.
    assert send_at(date(2027, 3, 27), s) == utc(2027, 3, 27, 7)
    assert send_at(date(2027, 3, 28), s) == utc(2027, 3, 28, 6)
    start, end = window(date(2027, 3, 28), s)
    assert end - start == timedelta(hours=23)
    clock = FrozenClock(utc(2027, 3, 27, 7, 0))
    assert next_send_at(clock.now(), s) == utc(2027, 3, 28, 6)  # exactly at a send instant: the next one
    clock.advance(timedelta(hours=22, minutes=59))
    assert next_send_at(clock.now(), s) == utc(2027, 3, 28, 6)
    clock.advance(timedelta(minutes=1))
    assert latest_due_day(clock.now(), s) == date(2027, 3, 28)
    assert next_send_at(clock.now(), s) == utc(2027, 3, 29, 6)


def test_send_instant_across_fall_back():
    s = settings()
    # 25 October 2026: back from BST to GMT at 01:00 UTC; that day's window is 25 hours.
    assert send_at(date(2026, 10, 24), s) == utc(2026, 10, 24, 6)
    assert send_at(date(2026, 10, 25), s) == utc(2026, 10, 25, 7)
    start, end = window(date(2026, 10, 25), s)
    assert (start, end) == (utc(2026, 10, 24, 6), utc(2026, 10, 25, 7))
    clock = FrozenClock(utc(2026, 10, 24, 23, 0))
    assert next_send_at(clock.now(), s) == utc(2026, 10, 25, 7)
    assert latest_due_day(clock.now(), s) == date(2026, 10, 24)


def test_send_time_inside_the_dst_gap_and_overlap():
    s = settings("01:30")
    # 01:30 does not exist on 28 March 2027 in London: it falls an hour later (02:30 BST).
    assert send_at(date(2027, 3, 28), s) == utc(2027, 3, 28, 1, 30)
    # 01:30 happens twice on 25 October 2026: the first (BST) one.
    assert send_at(date(2026, 10, 25), s) == utc(2026, 10, 25, 0, 30)


def test_latest_due_day_and_downtime():
    s = settings()
    assert latest_due_day(utc(2026, 11, 20, 6, 59), s) == date(2026, 11, 19)
    assert latest_due_day(utc(2026, 11, 20, 7, 0), s) == date(2026, 11, 20)
    # Down from the 20th to the 25th at 10:00: only the latest window is due, not five.
    assert latest_due_day(utc(2026, 11, 25, 10, 0), s) == date(2026, 11, 25)


@pytest.mark.parametrize("zone,day,expected", [
    ("America/New_York", date(2026, 3, 7), utc(2026, 3, 7, 12)),  # EST, UTC-5
    ("America/New_York", date(2026, 3, 8), utc(2026, 3, 8, 11)),  # EDT from 02:00 that day
    ("Australia/Sydney", date(2026, 4, 4), utc(2026, 4, 3, 20)),  # AEDT, UTC+11
    ("Australia/Sydney", date(2026, 4, 5), utc(2026, 4, 4, 21)),  # AEST from 03:00 that day
])
def test_other_zones(zone, day, expected):
    assert send_at(day, settings(zone=zone)) == expected
