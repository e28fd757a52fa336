"""Units of the sign-in machinery: [auth] settings, the sliding-window limiter, token signing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from replyall.clock import FrozenClock
from replyall.config import ConfigError, load_settings
from replyall.web import ratelimit
from replyall.web.ratelimit import RateLimiter, is_search_path


def test_admins_from_the_environment_as_a_comma_list():
    env = {"REPLYALL_ENVIRONMENT": "development", "REPLYALL_AUTH_ADMINS": "Boss@Council.gov.uk, it@nhs.net"}
    assert load_settings(environ=env).auth.admins == ["boss@council.gov.uk", "it@nhs.net"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[auth]\nadmins = ["not-an-address"]', "auth.admins"),
        ("[auth]\nlogin_link_minutes = 0", "auth.login_link_minutes"),
        ('[[archives]]\nslug = "a"\nname = "A"\naddress = "a@x.org"\nallow = ["nhs.net"]', "neither an address nor an @domain"),
    ],
)
def test_bad_auth_settings_name_the_key(tmp_path, toml, message):
    path = tmp_path / "c.toml"
    path.write_text('environment = "development"\n' + toml + "\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(path, environ={})


def test_sliding_window_counts_by_the_clock():
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    limiter = RateLimiter(clock)
    window = timedelta(minutes=1)
    assert [limiter.hit("s", "1.2.3.4", 2, window) for _ in range(2)] == [None, None]
    wait = limiter.hit("s", "1.2.3.4", 2, window)
    assert wait == 60.0
    assert limiter.hit("s", "5.6.7.8", 2, window) is None  # another client
    assert limiter.hit("other", "1.2.3.4", 2, window) is None  # another bucket
    clock.advance(timedelta(seconds=30))
    assert limiter.hit("s", "1.2.3.4", 2, window) == 30.0
    clock.advance(timedelta(seconds=30))
    assert limiter.hit("s", "1.2.3.4", 2, window) is None


def test_limiter_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(ratelimit, "MAX_CLIENTS", 10)
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    limiter = RateLimiter(clock)
    for n in range(100):
        limiter.hit("s", f"10.0.0.{n}", 5, timedelta(minutes=1))
        clock.advance(timedelta(seconds=1))
    assert len(limiter._hits) <= 10


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/api/v1/search", True), ("/a/x/search", True), ("/search/help", True), ("/a/research", False), ("/", False)],
)
def test_search_paths(path, expected):
    assert is_search_path(path) is expected
