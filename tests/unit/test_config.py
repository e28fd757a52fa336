"""Settings: the example file documents exactly the settings the code has; bad values stop start-up clearly."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from replyall.config import PLACEHOLDER_SECRET, ArchiveSettings, ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"


def _model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _model_keys(annotation, f"{prefix}{name}.")
        elif name == "archives":
            keys |= _model_keys(ArchiveSettings, f"{prefix}archives[].")
        else:
            keys.add(prefix + name)
    return keys


def _example_keys(data: dict, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in data.items():
        if isinstance(value, dict):
            keys |= _example_keys(value, f"{prefix}{name}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                keys |= _example_keys(item, f"{prefix}{name}[].")
        else:
            keys.add(prefix + name)
    return keys


def test_example_documents_every_setting_and_nothing_else():
    example = tomllib.loads(EXAMPLE.read_text())
    assert _example_keys(example) == _model_keys(Settings)


def test_every_example_setting_has_a_comment_above_it():
    lines = EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[i - 1].lstrip().startswith("#"), f"no comment above: {line}"


def test_example_defaults_match_code_defaults():
    example = tomllib.loads(EXAMPLE.read_text())
    defaults = Settings.model_construct()
    for section in ("database", "smtp", "web", "relay", "worker", "threading", "digest", "logging", "auth"):
        for key, value in example[section].items():
            assert getattr(getattr(defaults, section), key) == value, f"{section}.{key}"


def test_example_loads(tmp_path):
    settings = load_settings(EXAMPLE, environ={})
    assert settings.smtp.port == 2525
    assert settings.archives[0].slug == "comms-network"
    assert settings.archives[0].address == ["comms-network@archive.example.org"]


def test_environment_overrides_file_including_underscored_keys():
    settings = load_settings(
        EXAMPLE,
        environ={"REPLYALL_DATABASE_URL": "sqlite:////tmp/x.db", "REPLYALL_SMTP_MAX_MESSAGE_SIZE": "2048"},
    )
    assert settings.database.url == "sqlite:////tmp/x.db"
    assert settings.smtp.max_message_size == 2048


def test_config_path_from_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('environment = "development"\n[smtp]\nport = 2600\n')
    assert load_settings(environ={"REPLYALL_CONFIG": str(path)}).smtp.port == 2600


def test_archives_from_environment_json():
    env = {
        "REPLYALL_ENVIRONMENT": "development",
        "REPLYALL_ARCHIVES": '[{"slug": "a", "name": "A", "address": "A@Example.org"}]',
    }
    settings = load_settings(environ=env)
    assert settings.archives[0].address == ["a@example.org"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[smtp]\nport = "x"', "smtp.port"),
        ("[smtp]\nprot = 25", "smtp.prot: unknown setting"),
        ('[web]\ntime_zone = "Mars/Olympus"', "web.time_zone: unknown time zone"),
        ('[[archives]]\nslug = "Bad Slug"\nname = "x"\naddress = "a@b.org"', "archives.0.slug"),
        ('[[archives]]\nslug = "a"\nname = "x"\naddress = "not-an-address"', "is not an email address"),
        ('[[archives]]\nslug = "a"\nname = "x"', "archives.0.address: required setting is missing"),
        ('[digest]\nsend_time = "25:00"', "digest.send_time"),
        ("[smtp]\nport = [", "invalid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path, toml, message):
    path = tmp_path / "c.toml"
    path.write_text('environment = "development"\n' + toml + "\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_placeholder_secret_refused_in_production(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(f'environment = "production"\n[web]\nsecret_key = "{PLACEHOLDER_SECRET}"\n')
    with pytest.raises(ConfigError, match="web.secret_key"):
        load_settings(path, environ={})


def test_cli_reports_config_error_in_one_line_with_exit_2(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('environment = "development"\n[smtp]\nport = "twenty"\n')
    result = subprocess.run(
        [sys.executable, "-m", "replyall", "--config", str(path), "db", "check"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "smtp.port" in result.stderr and "Traceback" not in result.stderr


def test_missing_config_file_is_one_clear_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "replyall", "--config", str(tmp_path / "nope.toml"), "db", "check"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "not found" in result.stderr and "Traceback" not in result.stderr
