"""Logging set-up: JSON lines when stderr is not a terminal, a readable format when it is.

Every record becomes one JSON object (ts, level, logger, message, any `extra=` fields, and the
traceback as `exc`). A redactor replaces every configured secret (tokens, signing secret, the
database password) wherever it appears in the output. Libraries that log request bodies or SQL
parameters at DEBUG (and so could log answer texts) are capped at a safe level.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy.engine import make_url

from bot.config import Settings

REDACTED = "[redacted]"
# the most these loggers may say: below this they log payloads (answers) or SQL parameters
LIBRARY_CAPS = {
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "discord": logging.INFO,
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "aiohttp.access": logging.WARNING,
}
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_HANDLER_MARK = "_rapport_handler"


def secret_values(settings: Settings) -> list[str]:
    """Every secret in the settings: platform tokens, signing secret, database password."""
    values = [
        settings.discord_token,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
    ]
    with contextlib.suppress(Exception):  # an unparsable URL has no password to hide
        values.append(make_url(settings.database_url).password)
    return [v for v in values if v]


class Redactor:
    """Replaces each secret (and its JSON-escaped form) with a marker."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for s in secrets if len(s) >= 4 for form in (s, json.dumps(s)[1:-1])}
        self._secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS | set(entry)}
        )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, default=str, ensure_ascii=False))


class HumanFormatter(logging.Formatter):
    """`12:00:01 INFO bot.service.rounds: message` for a terminal."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def configure_logging(
    level: str | int,
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
    json_lines: bool | None = None,
) -> logging.Handler:
    """Install Rapport's root handler (replacing an earlier one) and cap chatty libraries."""
    stream = stream or sys.stderr
    if json_lines is None:
        json_lines = not (hasattr(stream, "isatty") and stream.isatty())
    redact = Redactor(secrets)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(redact) if json_lines else HumanFormatter(redact))
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    _cap_libraries(root.getEffectiveLevel())
    return handler


def _cap_libraries(level: int) -> None:
    for name, cap in LIBRARY_CAPS.items():
        logging.getLogger(name).setLevel(max(level, cap))
