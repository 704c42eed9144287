"""Every bank shipped in `questions/` lints clean with the shipped profile (>= 60 prompts and
>= 8 topics in each of the 4 layers, an example on every prompt...), linted together as the bot
loads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.questions.lint import lint_banks
from bot.questions.loader import bank_files, load_bank
from bot.questions.profiles import SHIPPED

SHIPPED_FILES = bank_files(DEFAULT_QUESTIONS_DIR) if DEFAULT_QUESTIONS_DIR.is_dir() else []
IDS = [path.stem for path in SHIPPED_FILES]


def test_the_expected_banks_are_shipped() -> None:
    assert {path.stem for path in SHIPPED_FILES} >= {"workplace", "community"}


@pytest.fixture(scope="module")
def report_lines() -> list[str]:
    report = lint_banks([DEFAULT_QUESTIONS_DIR], SHIPPED, depth=4)
    return [f"[{problem.rule}] {problem}" for problem in report.problems]


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=IDS)
def test_shipped_bank_lints_clean(path: Path, report_lines: list[str]) -> None:
    shown = f"{path.parent.name}/{path.name}"
    assert [line for line in report_lines if shown in line] == []


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=IDS)
def test_shipped_bank_has_every_layer_with_examples(path: Path) -> None:
    bank = load_bank(path)
    assert bank.layers == (1, 2, 3, 4)
    for layer in bank.layers:
        prompts = bank.in_layer(layer)
        assert len(prompts) >= SHIPPED.min_prompts_per_layer, f"layer {layer}: {len(prompts)}"
        topics = {prompt.topic for prompt in prompts}
        assert len(topics) >= SHIPPED.min_topics_per_layer, f"layer {layer}: {sorted(topics)}"
    assert all(prompt.example for prompt in bank.prompts)
