"""configure_logging: one line per record, key=value or JSON, extras (the Message-ID) included."""

from __future__ import annotations

import io
import json
import logging

from replyall.config import LoggingSettings
from replyall.logs import configure_logging


def _emit(fmt: str) -> str:
    stream = io.StringIO()
    configure_logging(LoggingSettings(level="INFO", format=fmt), stream=stream)
    try:
        logging.getLogger("replyall.test").info("stored", extra={"message_id": "a b@x", "color_message": "\x1b[1mx"})
        logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    finally:
        configure_logging(LoggingSettings(level="WARNING"))
    return stream.getvalue()


def test_keyvalue_line_carries_message_id_and_quotes_spaces():
    out = _emit("keyvalue")
    assert out.count("\n") == 1
    assert 'msg=stored message_id="a b@x"' in out
    assert "color_message" not in out and "alembic" not in out


def test_json_line_is_one_object_with_message_id():
    record = json.loads(_emit("json"))
    assert record["msg"] == "stored" and record["message_id"] == "a b@x" and record["level"] == "info"
    assert "color_message" not in record


def _pipeline_lines(level: str, per_message: bool) -> str:
    stream = io.StringIO()
    configure_logging(LoggingSettings(level=level), stream=stream, per_message=per_message)
    try:
        log = logging.getLogger("replyall.pipeline.runner")
        log.info("processed", extra={"message_id": "a@x"})
        log.error("step failed", extra={"message_id": "b@x"})
        logging.getLogger("replyall.cli.reindex").info("reindexed")
    finally:
        configure_logging(LoggingSettings(level="WARNING"))
    return stream.getvalue()


def test_batch_commands_log_no_line_per_message_unless_debugging():
    batch = _pipeline_lines("INFO", per_message=False)
    assert "msg=processed" not in batch
    assert "msg=\"step failed\"" in batch and "msg=reindexed" in batch  # errors and other loggers still show
    assert "msg=processed" in _pipeline_lines("DEBUG", per_message=False)
    # The service logs every message; a batch command run earlier in the process does not silence it.
    assert "msg=processed" in _pipeline_lines("INFO", per_message=True)
