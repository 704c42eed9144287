"""The `rapport` command line: migrations, bank lint and kind errors for bad input."""

from __future__ import annotations

import sqlite3
from importlib.metadata import version
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.cli import main
from bot.store.database import alembic_config


def test_db_upgrade_creates_the_schema_and_can_run_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "nested" / "rapport.db"
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0
    tables = {row[0] for row in sqlite3.connect(path).execute("select name from sqlite_master")}
    assert {"rounds", "outbox", "members", "processed_events", "alembic_version"} <= tables
    mode = sqlite3.connect(path).execute("pragma journal_mode").fetchone()[0]
    assert mode == "wal"


def test_db_upgrade_says_how_many_migrations_ran_and_status_shows_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    latest = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert main(["db", "status"]) == 0
    assert f"at migration none (empty database), latest {latest}" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    count = len(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))
    assert f"applied {count} migrations; now at migration {latest}." in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "no migration applied" in capsys.readouterr().out
    assert main(["db", "status"]) == 0
    assert f"at migration {latest}, latest {latest}." in capsys.readouterr().out


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"rapport {version('rapport')}"


def test_questions_lint_passes_on_the_shipped_banks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["questions", "lint"]) == 0
    assert "workplace" in capsys.readouterr().out


def test_questions_lint_fails_on_a_malformed_bank(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("bank: broken\nprompts: [\n")
    assert main(["questions", "lint", str(bad)]) == 1


def test_unknown_command_gets_usage_and_a_non_zero_exit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["dance"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
