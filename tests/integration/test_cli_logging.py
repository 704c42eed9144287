"""A command typed at a terminal prints Rapport's output, not library noise.

`rapport db upgrade` (like every command but `run`) logs warnings only, so alembic's INFO lines
("Context impl SQLiteImpl.", "Running upgrade ...") stay out of the way; RAPPORT_LOG_LEVEL brings
them back, and `rapport run` keeps logging at INFO.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.ops.logging import command_log_level
from tests.adapters.logs import production_logs

ALEMBIC_LINES = ("Context impl", "Will assume", "Running upgrade")


@pytest.fixture
def terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh directory (no `.env`) with a SQLite URL in it; root logging restored after."""
    monkeypatch.chdir(tmp_path)
    for name in ("RAPPORT_LOG_LEVEL", "RAPPORT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def test_db_upgrade_prints_only_rapports_own_line(
    terminal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0

    out, err = capsys.readouterr()
    assert "applied" in out and "now at migration" in out
    assert not any(line in err for line in ALEMBIC_LINES), err
    assert err == ""


def test_rapport_log_level_brings_the_library_lines_back(
    terminal: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_LOG_LEVEL", "INFO")

    assert main(["db", "upgrade"]) == 0

    err = capsys.readouterr().err
    assert all(line in err for line in ALEMBIC_LINES), err


def test_run_logs_at_info_and_commands_at_warning_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RAPPORT_LOG_LEVEL", raising=False)
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert command_log_level("run", default) == "INFO"
    assert command_log_level("demo", default) == "WARNING"
    assert command_log_level("db", default) == "WARNING"
    chosen = Settings(_env_file=None, RAPPORT_LOG_LEVEL="DEBUG")  # type: ignore[call-arg]
    assert command_log_level("db", chosen) == command_log_level("run", chosen) == "DEBUG"


def test_voice_notices_from_discord_py_are_dropped() -> None:
    with production_logs("INFO") as output:
        voice = logging.getLogger("discord.client")
        voice.warning("PyNaCl is not installed, voice will NOT be supported")  # as 2.7 says it
        voice.warning("davey is not installed, voice will NOT be supported")
        voice.warning("a warning that matters")

    logged = output.getvalue()
    assert "a warning that matters" in logged
    assert "PyNaCl" not in logged and "davey" not in logged
