"""`run_lint` / `run_show` output and exit codes, and `python -m bot.questions.lint`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from bot.cli import main as rapport
from bot.questions.cli import run_lint, run_show
from bot.questions.lint import LintSource
from tests.unit.questions.conftest import CLEAN_PROMPTS, BankWriter, prompt

REPO = Path(__file__).resolve().parents[3]
TINY_DIR = REPO / "tests" / "fixtures" / "banks"


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, color_system=None), out


def test_run_lint_prints_problems_grouped_by_file_and_fails(
    write_bank: BankWriter, tmp_path: Path
) -> None:
    write_bank("clean", CLEAN_PROMPTS)
    write_bank(
        "bad",
        [
            {**prompt("bad-1", 1, "x", "What is up?"), "note[red]": 1},
            prompt("bad-2", 6, "x", "What is new?"),
        ],
    )
    write_bank(
        "loose",
        [
            prompt("lo-1", 1, "x", "Do you like tea?"),
            prompt("lo-2", 1, "x", "Where is home for you?"),
        ],
    )
    con, out = console()
    assert run_lint([LintSource(tmp_path)], con) == 1
    text = out.getvalue()
    bad_block, loose_block = text.split("bad.yaml — 2 problems")[1].split("loose.yaml — 2 problems")
    assert "[schema] " in bad_block
    assert "bad.yaml:13: prompt bad-1: field 'note[red]': is not a known key" in bad_block
    assert "bad.yaml:15: prompt bad-2: field 'layer': must be between 1 and 4" in bad_block
    assert "[open-ended] " in loose_block
    assert "loose.yaml:11: prompt lo-1: field 'text'" in loose_block
    assert "layer 1 covers 1 topic; a custom bank needs at least 2 per layer" in loose_block
    assert "4 problems in 2 files." in text
    assert "│ clean " in text and "1 Hello" in text  # the summary table lists the valid banks


def test_run_lint_clean_bank_succeeds_with_summary_table() -> None:
    con, out = console()
    assert run_lint([LintSource(TINY_DIR)], con) == 0
    text = out.getvalue()
    assert "Not hierarchy-safe" in text
    assert "4 You & me" in text
    assert "OK: 1 bank, 24 prompts, no problems." in text


def test_run_show_prints_one_layer() -> None:
    con, out = console()
    assert run_show("tiny", 2, [TINY_DIR], con) == 0
    text = out.getvalue()
    assert "tiny-2-food-01" in text and "tiny-2-habits-02" in text
    assert "tiny-1-food-01" not in text and "tiny-3-food-01" not in text
    assert "How did you learn to make your best meal?" in text


def test_run_show_without_layer_prints_every_layer() -> None:
    con, out = console()
    assert run_show("tiny", None, [TINY_DIR], con) == 0
    assert all(f"tiny-{layer}-places-01" in out.getvalue() for layer in (1, 2, 3, 4))


def test_run_show_unknown_bank_lists_available_banks() -> None:
    con, out = console()
    assert run_show("nope", 1, [TINY_DIR], con) == 1
    assert "There is no bank named 'nope'. Available banks: tiny." in out.getvalue()


def test_run_show_unknown_layer_lists_available_layers(
    write_bank: BankWriter, tmp_path: Path
) -> None:
    write_bank("clean", CLEAN_PROMPTS)
    con, out = console()
    assert run_show("clean", 3, [tmp_path], con) == 1
    assert "Bank 'clean' has no layer 3. Available layers: 1 Hello." in out.getvalue()


def test_run_show_reports_broken_banks(write_bank: BankWriter, tmp_path: Path) -> None:
    write_bank("bad", [prompt("bad-1", 9, "x", "What is up?")])
    con, out = console()
    assert run_show("bad", 1, [tmp_path], con) == 1
    assert "could not be loaded" in out.getvalue()
    assert "prompt bad-1: field 'layer'" in out.getvalue()


def run_module(*args: str, cwd: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "80", **env_vars}
    return subprocess.run(
        [sys.executable, "-m", "bot.questions.lint", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_module_entry_point_lints_the_configured_banks(tmp_path: Path) -> None:
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "tiny.yaml").write_text((TINY_DIR / "tiny.yaml").read_text())
    done = run_module(cwd=tmp_path, RAPPORT_QUESTIONS_DIR=str(tmp_path / "questions"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: 1 bank, 24 prompts" in done.stdout


def test_module_entry_point_fails_on_bad_bank(write_bank: BankWriter, tmp_path: Path) -> None:
    path = write_bank("bad", [prompt("bad-1", 1, "x", "No question")])
    done = run_module("--alone", str(path), cwd=tmp_path)
    assert done.returncode == 1
    assert "bad.yaml:11: prompt bad-1: field 'text'" in done.stdout


# --- `rapport questions lint`: what the bot would load ------------------------------------------


@pytest.fixture
def configured(
    write_bank: BankWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """A shipped folder with the tiny bank, and an extra folder whose bank reuses one of its ids."""
    shipped, extra = tmp_path / "shipped", tmp_path / "extra"
    shipped.mkdir()
    (shipped / "tiny.yaml").write_text((TINY_DIR / "tiny.yaml").read_text())
    clashing = [
        prompt("tiny-1-food-01", 1, "walks", "Where did you walk last, and why there?"),
        prompt("ours-1-walks-02", 1, "walks", "How do you pick a path on a free afternoon?"),
        prompt("ours-1-tea-01", 1, "tea", "How did you learn to brew tea the way you like?"),
        prompt("ours-1-tea-02", 1, "tea", "When did a cup of tea save a grey day?"),
    ]
    write_bank("ours", clashing, extra)
    monkeypatch.setenv("RAPPORT_QUESTIONS_DIR", str(shipped))
    monkeypatch.delenv("RAPPORT_EXTRA_QUESTIONS_DIR", raising=False)
    monkeypatch.setenv("RAPPORT_MAX_LAYER", "1")
    monkeypatch.setenv("COLUMNS", "80")
    return shipped, extra


def test_lint_dir_checks_it_together_with_the_shipped_banks(
    configured: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, extra = configured
    assert rapport(["questions", "lint", str(extra)]) == 1
    out = capsys.readouterr().out
    assert "ours.yaml:9: prompt tiny-1-food-01: field 'id': is already used in" in out
    assert "tiny.yaml" in out
    assert rapport(["questions", "lint", "--alone", str(extra)]) == 0


def test_lint_without_paths_loads_the_configured_extra_folder(
    configured: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAPPORT_EXTRA_QUESTIONS_DIR", str(configured[1]))
    assert rapport(["questions", "lint"]) == 1
    assert "is already used in" in capsys.readouterr().out


def test_lint_names_layers_missing_up_to_the_configured_depth(
    configured: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAPPORT_MAX_LAYER", "3")
    assert rapport(["questions", "lint", "--alone", str(configured[1])]) == 1
    out = capsys.readouterr().out
    assert (
        "[depth]" in out
        and "has no prompts in layers 2 (How I tick), 3 (What matters to me)" in out
    )


def test_lint_profile_option_applies_the_shipped_thresholds(
    configured: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        rapport(["questions", "lint", "--alone", "--profile", "shipped", str(configured[1])]) == 1
    )
    assert "a shipped bank needs at least 60 per layer" in capsys.readouterr().out


def test_piped_output_keeps_each_problem_on_one_line(
    configured: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rapport(["questions", "lint", str(configured[1])])
    [line] = [ln for ln in capsys.readouterr().out.splitlines() if "is already used in" in ln]
    assert len(line) > 80 and line.rstrip().endswith("tiny.yaml")
