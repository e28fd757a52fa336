"""The Jinja2 environment: override directory first, autoescape everywhere, display filters."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from replyall.config import Settings

_PACKAGE = Path(__file__).resolve().parent.parent
# In a checkout templates/ sits at the top level; an installed wheel carries it as
# replyall/_templates (see [tool.hatch.build.targets.wheel.force-include]).
_CANDIDATES = (_PACKAGE.parent.parent / "templates", _PACKAGE / "_templates")

# The look-behind starts a match only where a local part can start: the same matches,
# but each word is scanned once instead of once from each of its letters (2.4 times
# faster on archive text, where patches and base64 make long words).
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+'=-])([A-Za-z0-9._%+'=-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def builtin_templates_dir() -> Path:
    for path in _CANDIDATES:
        if (path / "base.html").is_file():
            return path
    raise RuntimeError(f"templates not found (looked in {', '.join(map(str, _CANDIDATES))})")


def obfuscate_address(address: str) -> str:
    """jane@example.org -> "jane at example.org", as HyperKitty shows addresses to the public."""
    local, at, domain = (address or "").rpartition("@")
    return f"{local} at {domain}" if at else address


def obfuscate_text(text: str) -> str:
    """Every address inside free text (quotes, signatures) in the same readable form."""
    return _EMAIL.sub(r"\1 at \2", text) if text and "@" in text else (text or "")


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


class DateFormatter:
    """Dates in the configured time zone and strftime format (web.time_zone, web.date_format)."""

    def __init__(self, settings: Settings) -> None:
        self.zone = ZoneInfo(settings.web.time_zone)
        self.fmt = settings.web.date_format

    def local(self, value: datetime | None) -> datetime | None:
        return value.astimezone(self.zone) if value is not None else None

    def __call__(self, value: datetime | None, fmt: str | None = None) -> str:
        local = self.local(value)
        return local.strftime(fmt or self.fmt) if local is not None else "date unknown"


def account(request) -> dict[str, bool]:
    """For the site header: is this browser signed in (a session cookie), is it an admin?

    Cheap on purpose (no database): pages that checked the reader know the user; others
    go by the cookie, and /me sorts out a stale one.
    """
    from replyall.web.auth import SESSION_COOKIE

    user = getattr(request.state, "user", None) if request is not None else None
    signed_in = user is not None or (request is not None and SESSION_COOKIE in request.cookies)
    return {"signed_in": bool(signed_in), "admin": bool(user is not None and user.is_admin)}


def make_environment(settings: Settings) -> Environment:
    searched = []
    if settings.web.templates_dir:
        searched.append(FileSystemLoader(settings.web.templates_dir))
    searched.append(FileSystemLoader(builtin_templates_dir()))
    # autoescape=True for every template (HTML, Atom XML, email): mail-derived text is
    # hostile by default; nothing is marked safe except what nh3 has cleaned.
    env = Environment(
        loader=ChoiceLoader(searched), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        # No stat() per {% include %}: a 200-message thread includes its partial 200 times.
        auto_reload=False,
    )
    dates = DateFormatter(settings)
    env.filters["localdate"] = dates
    env.filters["isodate"] = lambda v: v.isoformat() if v is not None else ""
    env.filters["filesize"] = human_size
    env.globals["site_name"] = "replyall"
    env.globals["base_url"] = settings.web.base_url
    env.globals["time_zone"] = settings.web.time_zone
    env.globals["account"] = account
    return env


def dates(request) -> DateFormatter:
    """The app's localdate filter, for code that formats dates before rendering (web.shown)."""
    return request.app.state.templates.env.filters["localdate"]


def make_templates(settings: Settings) -> Jinja2Templates:
    return Jinja2Templates(env=make_environment(settings))


def render(request, name: str, context: dict, status_code: int = 200):
    """A page from the app's templates, with the helpers every page may use."""
    from replyall.web import present

    context = {
        "reason_text": present.reason_text,
        "organisation": present.organisation,
        "month_names": MONTH_NAMES,
        # Root-relative links: right behind any proxy, whatever Host header arrives.
        "url_for": fast_url_for(request.app),
        **context,
    }
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status_code)


MONTH_NAMES = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")


def fast_url_for(app):
    """url_path_for with the route lookup done once per (route, parameter names).

    Starlette walks every route on each call; a 200-message thread asks for ~1,000
    links, which cost more than the rest of the page. The path is built once with
    marker values and the markers are then replaced, so the result is identical.
    """
    cache = getattr(app.state, "url_patterns", None)
    if cache is None:
        cache = app.state.url_patterns = {}

    def url_for(name: str, **params) -> str:
        key = (name, tuple(sorted(params)))
        pattern = cache.get(key)
        if pattern is None:
            try:
                pattern = str(app.url_path_for(name, **{k: f"\x00{k}\x00" for k in params}))
            except Exception:  # noqa: BLE001 - a typed convertor (int) refuses markers: no shortcut
                pattern = False
            cache[key] = pattern
        if pattern is False:
            return str(app.url_path_for(name, **params))
        for k, v in params.items():
            pattern = pattern.replace(f"\x00{k}\x00", str(v))
        return pattern

    return url_for
