"""The demo's scripted answers fit the prompt: its example, else its layer's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.adapters.console.answers import LAYER_ANSWERS, answers_for, bank_prompt
from bot.config import DEFAULT_QUESTIONS_DIR
from bot.engine.bank import Bank, Prompt
from bot.questions.loader import load_banks

SHIPPED = load_banks([DEFAULT_QUESTIONS_DIR])
SHIPPED_PROMPTS = [p for bank in SHIPPED.values() for p in bank.prompts]
PROMPT = Prompt("x-1", 1, "routines", "What do you do first?", example="I stretch.")


def test_a_prompts_own_example_comes_first() -> None:
    assert answers_for(PROMPT, 1)[0] == "I stretch."


@pytest.mark.parametrize("prompt", SHIPPED_PROMPTS, ids=lambda p: p.id)
def test_sam_answers_every_shipped_prompt_with_its_own_example(prompt: Prompt) -> None:
    assert prompt.example and answers_for(prompt, prompt.layer)[0] == prompt.example


def test_a_prompt_without_an_example_gets_its_layers_neutral_answers() -> None:
    bare = replace(PROMPT, example=None, layer=3)
    assert answers_for(bare, 3) == list(LAYER_ANSWERS[3])
    assert answers_for(None, 3) == list(LAYER_ANSWERS[3])


def test_there_are_always_two_different_answers_and_all_are_short() -> None:
    for answers in LAYER_ANSWERS.values():
        assert len(set(answers)) >= 2
        assert all(0 < len(a) <= 120 for a in answers), answers


def test_bank_prompt_finds_the_delivered_prompt_and_tolerates_unknowns() -> None:
    banks = {"b": Bank("b", "B", (PROMPT,))}
    assert bank_prompt(banks, {"bank": "b", "prompt_id": "x-1"}) is PROMPT
    assert bank_prompt(banks, {"bank": "b", "prompt_id": "nope"}) is None
    assert bank_prompt(banks, {"bank": "gone", "prompt_id": "x-1"}) is None
