"""`rapport demo --auto` plays a whole round through the real service, outbox and dispatcher."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from bot.adapters.console.demo import run_demo
from bot.config import Settings


async def test_the_auto_demo_plays_a_round_to_the_rating(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False)
    settings = Settings(RAPPORT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert await run_demo(settings, console, auto=True) == 0
    text = out.getvalue()
    order = [
        "You're invited to a Rapport round",
        "A new prompt was drawn",
        "Answer saved",
        "Everyone answered",
        "one layer deeper",
        "Staying at this depth",
        "That's the end of this round",
        "You rated this round 6 out of 7",
    ]
    positions = [text.find(marker) for marker in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)


def test_the_cli_entry_point_runs_the_demo(tmp_path: Path) -> None:
    env = {"RAPPORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'y.db'}", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--auto"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "That's the end of this round" in result.stdout


class ScriptedTerminal(Console):
    """A terminal whose keyboard is a script: what a person would type, line by line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(file=io.StringIO(), width=100, force_terminal=False)
        self.lines = lines
        self.asked: list[str] = []

    def input(self, prompt: object = "", **_: object) -> str:  # type: ignore[override]
        self.asked.append(str(prompt))
        return self.lines.pop(0)


async def test_a_person_can_swap_retry_a_bad_answer_and_leave(tmp_path: Path) -> None:
    terminal = ScriptedTerminal(["y", "/swap", "", "x" * 3001, "My real answer.", "/leave"])
    settings = Settings(RAPPORT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    assert await run_demo(settings, terminal, auto=False) == 0
    text = terminal.file.getvalue()  # type: ignore[attr-defined]
    assert "A new prompt was drawn" in text
    assert "Your answer was empty" in text
    assert "the limit is 3000" in text
    assert "Everyone answered" in text and "My real answer." in text
    assert "You've left the round" in text
    assert terminal.lines == []
