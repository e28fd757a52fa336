"""One typed Settings object, read from TOML and overridden by REPLYALL_* environment variables.

Nothing here runs at import: entry points call `load_settings()` and pass the result
down. Every setting must also appear, with its default and a comment, in
config.example.toml; tests/unit/test_config.py fails when the two drift.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The secret shipped in config.example.toml; refused outside development.
PLACEHOLDER_SECRET = "change-me-to-a-long-random-string"

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the key and what to do."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/replyall.db"
    pool_size: int = Field(5, ge=1)


class SmtpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(2525, ge=0, le=65535)
    hostname: str = "archive.example.org"
    max_message_size: int = Field(26_214_400, ge=1024)
    max_recipients: int = Field(50, ge=1)
    max_connections: int = Field(200, ge=1)
    connections_per_minute: int = Field(120, ge=1)
    idle_timeout: float = Field(300.0, gt=0)
    plus_addressing: bool = True
    tls_cert: str = ""
    tls_key: str = ""

    @model_validator(mode="after")
    def _tls_pair(self) -> "SmtpSettings":
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key must be given together (or both left empty)")
        return self


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = PLACEHOLDER_SECRET
    time_zone: str = "Europe/London"
    date_format: str = "%d %b %Y %H:%M"
    obfuscate_addresses: bool = True
    per_page: int = Field(25, ge=1, le=500)
    templates_dir: str = ""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/London)")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class RelaySettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(25, ge=0, le=65535)
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = Field(30.0, gt=0)
    from_address: str = "replyall@archive.example.org"


class WorkerSettings(_Section):
    poll_interval: float = Field(1.0, gt=0)
    max_attempts: int = Field(5, ge=1)


class ThreadingSettings(_Section):
    subject_window_days: int = Field(14, ge=0)


class DigestSettings(_Section):
    enabled: bool = True
    send_time: str = "07:00"
    skip_empty: bool = True

    @field_validator("send_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must be a 24-hour time HH:MM, e.g. 07:00")
        return value


class AuthSettings(_Section):
    login_link_minutes: int = Field(15, ge=1, le=1440)
    session_days: int = Field(30, ge=1, le=400)
    admins: list[str] = []
    login_per_hour: int = Field(10, ge=1)
    searches_per_minute: int = Field(30, ge=1)

    @field_validator("admins", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        # REPLYALL_AUTH_ADMINS arrives as one string: "a@x.org, b@y.org".
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @field_validator("admins")
    @classmethod
    def _admin_addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _ADDRESS.match(item):
                raise ValueError(f"{item!r} is not an email address")
        return [item.lower() for item in value]


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["keyvalue", "json"] = "keyvalue"


class ArchiveSettings(_Section):
    slug: str
    name: str
    address: list[str]
    visibility: Literal["public", "members"] = "members"
    description: str = ""
    allow: list[str] = []
    block: list[str] = []

    @field_validator("allow", "block")
    @classmethod
    def _address_or_domain(cls, value: list[str]) -> list[str]:
        for item in value:
            if not (_ADDRESS.match(item) or re.fullmatch(r"@[^@\s]+\.[^@\s]+", item)):
                raise ValueError(f"{item!r} is neither an address nor an @domain")
        return [item.lower() for item in value]

    @field_validator("address", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("address")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one address")
        for item in value:
            if not _ADDRESS.match(item):
                raise ValueError(f"{item!r} is not an email address")
        # Domains are case-insensitive (RFC 5321 2.4); local parts we compare
        # case-insensitively too, as every mainstream MTA does.
        return [item.lower() for item in value]

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("use lower-case letters, digits and hyphens (e.g. comms-network)")
        return value


class Settings(_Section):
    environment: Literal["development", "production"] = "production"
    database: DatabaseSettings = DatabaseSettings()
    smtp: SmtpSettings = SmtpSettings()
    web: WebSettings = WebSettings()
    relay: RelaySettings = RelaySettings()
    worker: WorkerSettings = WorkerSettings()
    threading: ThreadingSettings = ThreadingSettings()
    digest: DigestSettings = DigestSettings()
    logging: LoggingSettings = LoggingSettings()
    auth: AuthSettings = AuthSettings()
    archives: list[ArchiveSettings] = []

    @model_validator(mode="after")
    def _checks(self) -> "Settings":
        slugs = [a.slug for a in self.archives]
        if len(slugs) != len(set(slugs)):
            raise ValueError("archives: two archives share a slug")
        addresses = [addr for a in self.archives for addr in a.address]
        if len(addresses) != len(set(addresses)):
            raise ValueError("archives: an address belongs to two archives")
        if self.environment != "development" and self.web.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "web.secret_key: the placeholder from config.example.toml is only allowed with "
                'environment = "development"; set a long random secret (e.g. python -c '
                '"import secrets; print(secrets.token_urlsafe(48))")'
            )
        if len(self.web.secret_key) < 16:
            raise ValueError("web.secret_key: must be at least 16 characters")
        return self

    def archive(self, slug: str) -> ArchiveSettings | None:
        return next((a for a in self.archives if a.slug == slug), None)


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """REPLYALL_<SECTION>_<KEY> for every known key; REPLYALL_ARCHIVES takes JSON.

    Walking the model's own fields (rather than splitting names on "_") keeps
    keys such as smtp.max_message_size unambiguous.
    """
    out: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        var = f"REPLYALL_{name.upper()}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for key in annotation.model_fields:
                sub_var = f"{var}_{key.upper()}"
                if sub_var in environ:
                    out.setdefault(name, {})[key] = environ[sub_var]
        elif var in environ:
            value = environ[var]
            if name == "archives":
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{var}: not valid JSON ({exc.msg})") from None
            out[name] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "config"
    if first["type"] == "extra_forbidden":
        return f"{where}: unknown setting (check the spelling against config.example.toml)"
    if first["type"] == "missing":
        return f"{where}: required setting is missing"
    message = first["msg"].removeprefix("Value error, ")
    if where == "config" or message.startswith(tuple(Settings.model_fields)):
        return message
    return f"{where}: {message}"


def load_settings(path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read settings from PATH (or $REPLYALL_CONFIG) and the environment.

    Raises ConfigError with one line naming the key at fault.
    """
    environ = dict(os.environ if environ is None else environ)
    path = path or environ.get("REPLYALL_CONFIG")
    data: dict[str, Any] = {}
    if path:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {file} not found (pass --config PATH or set REPLYALL_CONFIG)") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file}: invalid TOML ({exc})") from None
    data = _merge(data, _env_overrides(environ))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
