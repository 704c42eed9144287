"""`rapport questions import|export --workspace`: a team's bank from the operator's shell."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

TEAM_BANK = """\
bank: team
title: Our questions
audience: workplace
topics: [rituals, craft]
prompts:
  - id: team-1-rituals-01
    layer: 1
    topic: rituals
    text: "What small ritual makes a Monday feel lighter, and how did it start?"
  - id: team-2-craft-01
    layer: 2
    topic: craft
    text: "How do you decide a piece of work is finished, and who taught you that?"
"""


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "rapport.db"
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def test_import_lints_then_stores_and_export_writes_the_same_yaml(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "team.yaml"
    source.write_text(TEAM_BANK)
    assert main(["questions", "import", "--workspace", "slack:T0TEAM", str(source)]) == 0
    assert "Imported 2 prompts." in capsys.readouterr().out
    assert main(["questions", "import", "--workspace", "slack:T0TEAM", str(source)]) == 0
    assert "Imported 0 prompts (2 already there" in capsys.readouterr().out

    target = tmp_path / "out" / "team.yaml"
    target.parent.mkdir()
    assert main(["questions", "export", "--workspace", "slack:T0TEAM", str(target)]) == 0
    exported = target.read_text()
    assert "team-1-rituals-01" in exported and "team-2-craft-01" in exported
    assert main(["questions", "export", "--workspace", "discord:42"]) == 0
    assert "prompts: []" in capsys.readouterr().out  # another workspace has none of them


def test_a_bank_that_fails_lint_imports_nothing(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "team.yaml"
    source.write_text(TEAM_BANK.replace("and how did it start?", "and how did it start."))
    assert main(["questions", "import", "--workspace", "slack:T0TEAM", str(source)]) == 1
    out = capsys.readouterr().out
    assert "team-1-rituals-01" in out and "Nothing was imported" in out
    assert main(["questions", "export", "--workspace", "slack:T0TEAM"]) == 0
    assert "prompts: []" in capsys.readouterr().out


def test_a_shipped_id_or_a_malformed_workspace_is_refused_in_one_sentence(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "team.yaml"
    source.write_text(TEAM_BANK.replace("team-1-rituals-01", "wp-1-small-joys-11"))
    assert main(["questions", "import", "--workspace", "slack:T0TEAM", str(source)]) == 1
    assert "belongs to a shipped bank" in capsys.readouterr().out
    assert main(["questions", "export", "--workspace", "T0TEAM"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workspace 'T0TEAM' is not a workspace" in err
