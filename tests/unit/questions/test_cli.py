"""`run_lint` / `run_show` output and exit codes, and `python -m bot.questions.lint`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from bot.questions.cli import run_lint, run_show
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
    assert run_lint([tmp_path], con) == 1
    text = out.getvalue()
    bad_block, loose_block = text.split("bad.yaml — 2 problems")[1].split("loose.yaml — 1 problem")
    assert "[schema] " in bad_block
    assert "prompt bad-1: field 'note[red]': is not a known key" in bad_block
    assert "prompt bad-2: field 'layer': must be between 1 and 4" in bad_block
    assert "[open-ended] " in loose_block and "loose.yaml: prompt lo-1: field 'text'" in loose_block
    assert "3 problems in 2 files." in text
    assert "│ clean " in text and "1 Hello" in text  # the summary table lists the valid banks


def test_run_lint_clean_bank_succeeds_with_summary_table() -> None:
    con, out = console()
    assert run_lint([TINY_DIR], con) == 0
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


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "bot.questions.lint", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_module_entry_point_defaults_to_questions_dir(tmp_path: Path) -> None:
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "tiny.yaml").write_text((TINY_DIR / "tiny.yaml").read_text())
    done = run_module(cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: 1 bank, 24 prompts" in done.stdout


def test_module_entry_point_fails_on_bad_bank(write_bank: BankWriter, tmp_path: Path) -> None:
    path = write_bank("bad", [prompt("bad-1", 1, "x", "No question")])
    done = run_module(str(path), cwd=tmp_path)
    assert done.returncode == 1
    assert "prompt bad-1: field 'text'" in done.stdout
