"""configure_logging(settings): key=value or JSON lines, with the Message-ID on every line about a message."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from replyall.config import LoggingSettings

# Attributes every LogRecord has; anything else came from `extra=` and is printed.
# uvicorn adds color_message (the same text with ANSI colours) to its records.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName", "color_message",
}


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields: dict[str, object] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            fields[key] = value
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        parts = []
        for key, value in _fields(record).items():
            text = str(value)
            if not text or any(c in text for c in ' "=\n'):
                text = json.dumps(text, ensure_ascii=False)
            parts.append(f"{key}={text}")
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


# Loggers that write a line for every message processed.
_PER_MESSAGE = ("replyall.pipeline",)


def configure_logging(settings: LoggingSettings, stream=None, *, per_message: bool = True) -> None:
    """Log to `stream` (stderr) at the configured level.

    `per_message=False` is for batch commands (import, retry, reindex): their progress
    bar and summary say what thousands of "processed" lines would, so those lines show
    only at DEBUG. Warnings and errors about a message show at any level.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else KeyValueFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
    # Their access and protocol chatter would drown the lines that matter.
    for noisy in ("mail.log", "uvicorn.access", "talon", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    logging.getLogger("uvicorn.error").propagate = True
    for name in _PER_MESSAGE:  # set every time: one process may run a batch command, then serve
        quiet = not per_message and root.level > logging.DEBUG
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
