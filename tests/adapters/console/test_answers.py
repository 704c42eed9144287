"""The demo's scripted answers fit the prompt: its example, else its topic's, else its layer's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.adapters.console.answers import (
    LAYER_ANSWERS,
    LAYER_TOPIC_ANSWERS,
    TOPIC_ANSWERS,
    answers_for,
    bank_prompt,
)
from bot.config import DEFAULT_QUESTIONS_DIR
from bot.engine.bank import Bank, Prompt
from bot.questions.loader import load_banks

SHIPPED = load_banks([DEFAULT_QUESTIONS_DIR])
SHIPPED_PROMPTS = [p for bank in SHIPPED.values() for p in bank.prompts]
PROMPT = Prompt("x-1", 1, "routines", "What do you do first?", example="I stretch.")


def test_a_prompts_own_example_comes_first() -> None:
    assert answers_for(PROMPT, 1, "routines")[0] == "I stretch."


@pytest.mark.parametrize("prompt", SHIPPED_PROMPTS, ids=lambda p: p.id)
def test_every_shipped_prompt_without_its_example_still_gets_its_topics_answers(
    prompt: Prompt,
) -> None:
    options = answers_for(replace(prompt, example=None), prompt.layer, prompt.topic)
    written = LAYER_TOPIC_ANSWERS.get((prompt.layer, prompt.topic)) or TOPIC_ANSWERS[prompt.topic]
    assert options[: len(written)] == list(written)


def test_a_topic_nobody_wrote_for_gets_its_layers_neutral_answers() -> None:
    assert answers_for(None, 3, "sailing") == list(LAYER_ANSWERS[3])


def test_layer_four_curiosity_asks_about_the_partner_not_the_field() -> None:
    assert answers_for(None, 4, "curiosity")[0] == LAYER_TOPIC_ANSWERS[(4, "curiosity")][0]
    assert answers_for(None, 3, "curiosity")[0] == TOPIC_ANSWERS["curiosity"][0]


def test_there_are_always_two_different_answers_and_all_are_short() -> None:
    written = [*TOPIC_ANSWERS.values(), *LAYER_TOPIC_ANSWERS.values(), *LAYER_ANSWERS.values()]
    for answers in written:
        assert len(set(answers)) >= 2
        assert all(0 < len(a) <= 120 for a in answers), answers


def test_bank_prompt_finds_the_delivered_prompt_and_tolerates_unknowns() -> None:
    banks = {"b": Bank("b", "B", (PROMPT,))}
    assert bank_prompt(banks, {"bank": "b", "prompt_id": "x-1"}) is PROMPT
    assert bank_prompt(banks, {"bank": "b", "prompt_id": "nope"}) is None
    assert bank_prompt(banks, {"bank": "gone", "prompt_id": "x-1"}) is None
