"""make_settings(): Settings for tests with two archives (one public, one members-only)."""

from __future__ import annotations

from replyall.config import Settings

TEST_SECRET = "test-secret-key-that-is-long-enough"


def make_settings(database_url: str = "sqlite://", **overrides) -> Settings:
    """Settings for tests: one public and one members-only archive; keyword overrides per section."""
    data: dict = {
        "environment": "production",
        "database": {"url": database_url},
        "smtp": {"host": "127.0.0.1", "port": 0, "hostname": "archive.test"},
        "web": {"host": "127.0.0.1", "port": 0, "base_url": "http://archive.test", "secret_key": TEST_SECRET},
        "archives": [
            {
                "slug": "comms-network",
                "name": "Comms network",
                "address": ["comms-network@archive.example.org"],
                "visibility": "public",
                "description": "Public-sector communicators",
            },
            {
                "slug": "private-list",
                "name": "Private list",
                "address": ["private@archive.example.org", "private-alias@archive.example.org"],
                "visibility": "members",
            },
        ],
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Settings.model_validate(data)
