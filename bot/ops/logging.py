"""Logging set-up: JSON lines when stderr is not a terminal, a readable format when it is.

Every record becomes one JSON object (ts, level, logger, message, any `extra=` fields, and the
traceback as `exc`). The handler carries `PrivacyFilter` (`bot.ops.log_privacy`): whatever a
record comes from, answer texts, DM texts and tokens (the configured secrets among them) are
withheld before it is formatted. Chatty libraries are also capped to keep the volume down, but
privacy does not depend on those levels. A command typed at a terminal logs warnings only,
unless RAPPORT_LOG_LEVEL says otherwise; `rapport run` logs at RAPPORT_LOG_LEVEL (INFO).
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
from bot.ops.log_privacy import REDACTED as REDACTED
from bot.ops.log_privacy import PrivacyFilter, extra_fields

# the most these loggers say by default (their DEBUG is a flood); the filter keeps them clean
LIBRARY_CAPS = {
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "discord": logging.INFO,
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "aiohttp.access": logging.WARNING,
}
_HANDLER_MARK = "_rapport_handler"
# notices that are false alarms for a text-only bot: Rapport never joins a voice channel
NOISE = ("PyNaCl is not installed", "davey is not installed")


def secret_values(settings: Settings) -> list[str]:
    """Every secret in the settings: platform tokens, signing and client secrets, token keys,
    database password."""
    values = [
        settings.discord_token,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.slack_client_secret,
        *(key.strip() for key in (settings.token_key or "").split(",")),
    ]
    with contextlib.suppress(Exception):  # an unparsable URL has no password to hide
        values.append(make_url(settings.database_url).password)
    return [v for v in values if v]


def command_log_level(command: str, settings: Settings) -> str:
    """`rapport run` logs at RAPPORT_LOG_LEVEL; other commands, typed at a terminal, log
    warnings only unless RAPPORT_LOG_LEVEL is set, so a person sees Rapport's own output."""
    if command == "run" or "log_level" in settings.model_fields_set:
        return settings.log_level
    return "WARNING"


class QuietNoise(logging.Filter):
    """Drops library notices that tell an operator nothing about Rapport (see `NOISE`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(NOISE))


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: getattr(record, k) for k in extra_fields(record) if k not in entry})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


class HumanFormatter(logging.Formatter):
    """`12:00:01 INFO bot.service.rounds: message` for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")


def configure_logging(
    level: str | int,
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
    json_lines: bool | None = None,
) -> logging.Handler:
    """Install Rapport's root handler (replacing an earlier one) and cap chatty libraries.

    Python warnings are routed through the same handler, so they obey the level and the filter.
    """
    stream = stream or sys.stderr
    if json_lines is None:
        json_lines = not (hasattr(stream, "isatty") and stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json_lines else HumanFormatter())
    handler.addFilter(QuietNoise())
    handler.addFilter(PrivacyFilter(secrets))
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    _cap_libraries(root.getEffectiveLevel())
    return handler


def _cap_libraries(level: int) -> None:
    for name, cap in LIBRARY_CAPS.items():
        logging.getLogger(name).setLevel(max(level, cap))
