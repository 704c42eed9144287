"""Logging set-up: JSON lines off a terminal, human lines on one, secrets never printed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.ops.logging import LIBRARY_CAPS, REDACTED, configure_logging, secret_values

TOKEN = "xoxb-1234-5678-abcdefSECRET"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_CAPS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


@pytest.mark.allow_error_logs
def test_json_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    logging.getLogger("bot.test").info("round %s now %s", "r1", "active", extra={"round": "r1"})
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.test").exception("it failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["message"] == "round r1 now active" and first["round"] == "r1"
    assert first["ts"].endswith("+00:00")
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc"]


def test_human_lines_on_a_terminal() -> None:
    stream = _Terminal()
    configure_logging("INFO", stream=stream)
    logging.getLogger("bot.test").warning("hello")
    line = stream.getvalue().strip()
    assert line.endswith("WARNING bot.test: hello") and not line.startswith("{")


@pytest.mark.allow_error_logs
@pytest.mark.parametrize("json_lines", [True, False])
def test_secrets_are_redacted_wherever_they_appear(json_lines: bool) -> None:
    settings = Settings(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="signing-secret-value",
        RAPPORT_DATABASE_URL="postgresql+asyncpg://rapport:db-password-1@db/rapport",
    )
    stream = io.StringIO()
    secrets = secret_values(settings)
    configure_logging("DEBUG", secrets=secrets, stream=stream, json_lines=json_lines)
    log = logging.getLogger("bot.test")
    log.info("token is %s", TOKEN, extra={"header": f"Bearer {TOKEN}"})
    log.debug("secret signing-secret-value and password db-password-1")
    try:
        raise RuntimeError(f"auth failed for {TOKEN}")
    except RuntimeError:
        log.exception("oops")
    output = stream.getvalue()
    assert TOKEN not in output and "signing-secret-value" not in output
    assert "db-password-1" not in output and output.count(REDACTED) >= 4


def test_chatty_libraries_are_capped_even_at_debug() -> None:
    configure_logging("DEBUG", stream=io.StringIO())
    assert logging.getLogger("bot").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("sqlalchemy.engine.Engine").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("discord.gateway").getEffectiveLevel() == logging.INFO


def test_configuring_twice_keeps_one_handler() -> None:
    configure_logging("INFO", stream=io.StringIO())
    count = len(logging.getLogger().handlers)
    configure_logging("WARNING", stream=io.StringIO())
    assert len(logging.getLogger().handlers) == count
