"""`rapport demo` plays a whole round through the real service, outbox and dispatcher."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from bot.adapters.console import demo
from bot.adapters.console.demo import run_demo
from bot.adapters.console.wording import (
    DECLINED_ENDING,
    INVITATION_RETRY,
    RATING_RETRY,
)
from bot.config import Settings
from bot.messages import ANSWER_HINT, NO_EXAMPLE

TINY_BANK = Path(__file__).parents[1] / "fixtures" / "banks" / "tiny.yaml"


@pytest.fixture(autouse=True)
def quick_stall(monkeypatch: pytest.MonkeyPatch) -> None:
    """A demo that waits for a message nobody sends fails in seconds, not 30."""
    monkeypatch.setattr(demo, "WAIT_SECONDS", 5.0)


def _console() -> Console:
    return Console(file=io.StringIO(), width=120, force_terminal=False)


def _output(console: Console) -> str:
    return console.file.getvalue()  # type: ignore[attr-defined]


class ScriptedKeyboard:
    """A keyboard whose keys are a script: what a person would type, line by line."""

    def __init__(self, console: Console, lines: list[str]) -> None:
        self.console = console
        self.lines = lines
        self.asked: list[str] = []

    async def line(self, prompt: str) -> str:
        self.console.print(prompt, end="")  # as the terminal shows it; the tty echoes the line
        self.asked.append(prompt)
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)


def _settings(tmp_path: Path, questions: Path | None = None) -> Settings:
    extra = {"RAPPORT_QUESTIONS_DIR": str(questions), "RAPPORT_DEFAULT_BANK": "tiny"}
    return Settings(
        RAPPORT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        **(extra if questions else {}),  # type: ignore[arg-type]
    )


async def _play(tmp_path: Path, lines: list[str], questions: Path | None = None) -> str:
    console = _console()
    keyboard = ScriptedKeyboard(console, lines)
    code = await run_demo(_settings(tmp_path, questions), console, auto=False, keyboard=keyboard)
    assert code == 0, _output(console)[-3000:]
    assert keyboard.lines == [], "the demo stopped asking before the script ended"
    return _output(console)


@pytest.fixture
def bank_with_examples(tmp_path: Path) -> Path:
    """The tiny test bank, each prompt with an example answer naming the prompt it answers."""
    bank = yaml.safe_load(TINY_BANK.read_text())
    for prompt in bank["prompts"]:
        prompt["example"] = f"Example for: {prompt['text']}"
    folder = tmp_path / "banks"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(yaml.safe_dump(bank, sort_keys=False))
    return folder


@pytest.fixture
def bank_without_examples(tmp_path: Path) -> Path:
    """The tiny test bank with its examples taken out (as a team's own questions may be)."""
    bank = yaml.safe_load(TINY_BANK.read_text())
    for prompt in bank["prompts"]:
        prompt.pop("example", None)
    folder = tmp_path / "bare"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(yaml.safe_dump(bank, sort_keys=False))
    return folder


def _prompt_texts(folder: Path) -> list[str]:
    return [p["text"] for p in yaml.safe_load((folder / "tiny.yaml").read_text())["prompts"]]


async def test_the_auto_demo_plays_a_round_to_the_rating(tmp_path: Path) -> None:
    console = _console()
    assert await run_demo(_settings(tmp_path), console, auto=True) == 0
    text = _output(console)
    order = [
        "You're invited to a Rapport round",
        "A new prompt was drawn",
        "Answer saved",
        "Everyone answered",
        "one layer deeper",
        "Staying at this depth",
        "That's the end of this round",
        "You rated this round 6 out of 7",
        "What's next: bring Rapport to your team",
    ]
    positions = [text.find(marker) for marker in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)


async def test_the_console_speaks_of_typing_not_buttons(tmp_path: Path) -> None:
    console = _console()
    assert await run_demo(_settings(tmp_path), console, auto=True) == 0
    text = _output(console)
    assert ANSWER_HINT not in text and "button" not in text.lower()
    assert "Type your answer below" in text
    assert "Accept: y · Not now: n" in text and "Swap prompt: /swap" in text
    assert "rapport slack manifest" in text and "rapport discord invite-url" in text
    assert "README: Add Rapport to Slack" in text and "README: Add Rapport to Discord" in text


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


async def test_a_person_can_swap_retry_a_bad_answer_and_leave(tmp_path: Path) -> None:
    text = await _play(tmp_path, ["y", "/swap", "", "x" * 3001, "My real answer.", "/leave"])
    assert "A new prompt was drawn" in text
    assert "Your answer was empty" in text
    assert "the limit is 3000" in text
    assert "Everyone answered" in text and "My real answer." in text
    assert "You've left the round" in text


async def test_staying_keeps_the_round_going_at_that_depth(tmp_path: Path) -> None:
    text = await _play(tmp_path, ["y", "/stay", "First answer.", "Second answer.", "lots", "6"])
    done = text.index("Done. This round won't go any deeper.")
    assert text.index("Back to the prompt:") > done
    assert "First answer." in text and "Second answer." in text
    assert "one layer deeper" not in text
    assert "reached Layer 1 · Hello" in text and "You rated this round 6 out of 7" in text
    assert RATING_RETRY in text  # "lots" isn't a rating: asked again, nothing saved


async def test_declining_the_invitation_ends_kindly(tmp_path: Path) -> None:
    text = await _play(tmp_path, ["maybe", "n"])
    assert text.index(INVITATION_RETRY) < text.index("No problem. Maybe another time.")
    assert text.index(DECLINED_ENDING) < text.index("What's next")
    assert "Everyone answered" not in text


async def test_an_unknown_command_is_never_an_answer_and_commands_ignore_case(
    tmp_path: Path,
) -> None:
    text = await _play(tmp_path, ["y", "/foo", "/Swap", "/STAY", "A real answer.", "/Leave"])
    assert "I don't know /foo — try /help" in text
    assert text.count("/foo") == 1  # the hint only: never saved, never revealed
    assert "/Swap" not in text and "/STAY" not in text and "/Leave" not in text
    assert "A new prompt was drawn" in text and "Staying at this depth" in text
    assert "A real answer." in text and "You've left the round" in text


async def test_help_lists_the_commands(tmp_path: Path) -> None:
    text = await _play(tmp_path, ["y", "/help", "/leave"])
    listing = text[text.index("At a prompt you can type:") :]
    for command in ("/example", "/swap", "/stay", "/leave", "/help"):
        assert f"  {command} " in listing, command


async def test_example_shows_the_current_prompts_example(
    tmp_path: Path, bank_with_examples: Path
) -> None:
    text = await _play(tmp_path, ["y", "/example", "Mine.", "/leave"], bank_with_examples)
    shown = text.index("“Example for: ")
    answered = text[shown:].split("Example for: ", 1)[1].splitlines()[0].strip().rstrip("”")
    latest = max(_prompt_texts(bank_with_examples), key=lambda t: text.rfind(t, 0, shown))
    assert answered == latest  # the example of the prompt on screen, not of another


async def test_example_without_one_says_so_kindly(
    tmp_path: Path, bank_without_examples: Path
) -> None:
    text = await _play(tmp_path, ["y", "/example", "/leave"], bank_without_examples)
    assert NO_EXAMPLE.split(".")[0] in text


async def test_the_partner_answers_each_prompt_with_its_example(
    tmp_path: Path, bank_with_examples: Path
) -> None:
    console = _console()
    settings = _settings(tmp_path, bank_with_examples)
    assert await run_demo(settings, console, auto=True) == 0
    text = _output(console)
    revealed = [t for t in _prompt_texts(bank_with_examples) if f"Prompt: {t}" in text]
    assert len(revealed) >= 4
    for prompt_text in revealed:
        assert f"Example for: {prompt_text}" in text, prompt_text
    assert text.count("Example for: ") == len(revealed)  # Sam's only: you answered your own
