"""Every bank shipped in `questions/` lints clean and is deep and broad enough for real rounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.questions.lint import lint_banks
from bot.questions.loader import bank_files, load_bank

QUESTIONS = Path(__file__).resolve().parents[3] / "questions"
SHIPPED = bank_files(QUESTIONS) if QUESTIONS.is_dir() else []
MIN_PROMPTS_PER_LAYER = 40
MIN_TOPICS_PER_LAYER = 6


def test_the_expected_banks_are_shipped() -> None:
    assert {path.stem for path in SHIPPED} >= {"workplace", "community"}


def test_shipped_banks_lint_clean() -> None:
    report = lint_banks([QUESTIONS])
    assert [str(problem) + f" [{problem.rule}]" for problem in report.problems] == []


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_bank_depth_and_breadth(path: Path) -> None:
    bank = load_bank(path)
    assert bank.layers == (1, 2, 3, 4)
    for layer in bank.layers:
        prompts = bank.in_layer(layer)
        assert len(prompts) >= MIN_PROMPTS_PER_LAYER, f"layer {layer}: {len(prompts)} prompts"
        topics = {prompt.topic for prompt in prompts}
        assert len(topics) >= MIN_TOPICS_PER_LAYER, f"layer {layer}: {sorted(topics)}"
