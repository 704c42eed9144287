"""The demo's scripted lines fit: a prompt's example, else its layer's; Sam's brief answers
and both players' follow-ups."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.adapters.console.answers import (
    AUTO_FOLLOW_UP_ANSWER,
    AUTO_QUESTION,
    BRIEF_ANSWERS,
    LAYER_ANSWERS,
    SAM_FOLLOW_UP_ANSWER,
    SAM_QUESTIONS,
    answers_for,
    bank_prompt,
    brief_answer,
    sam_question,
)
from bot.config import DEFAULT_QUESTIONS_DIR
from bot.engine.balance import is_uneven
from bot.engine.bank import LAYER_NAMES, Bank, Prompt
from bot.engine.model import MAX_FOLLOW_UP_CHARS, RoundSettings
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


def test_sams_brief_layer_is_uneven_against_any_layer_past_the_guards_floor() -> None:
    """Two of Sam's brief answers stay under the guard's share of a layer that reaches its
    floor, so a member who wrote a couple of sentences always meets the check-in."""
    rules = RoundSettings(bank="any")
    two_longest = sum(sorted(map(len, BRIEF_ANSWERS))[-2:])
    assert two_longest < rules.balance_ratio * rules.balance_floor
    layer = {"you": rules.balance_floor, "sam": two_longest}
    assert is_uneven(layer, rules.balance_ratio, rules.balance_floor)
    assert [brief_answer(n) for n in (1, 2, len(BRIEF_ANSWERS) + 1)] == [
        BRIEF_ANSWERS[0],
        BRIEF_ANSWERS[1],
        BRIEF_ANSWERS[0],
    ]


def test_every_scripted_follow_up_fits_the_rounds_limit() -> None:
    lines = [*SAM_QUESTIONS.values(), SAM_FOLLOW_UP_ANSWER, AUTO_QUESTION, AUTO_FOLLOW_UP_ANSWER]
    assert all(0 < len(line) <= MAX_FOLLOW_UP_CHARS for line in lines)
    assert {sam_question(layer) for layer in LAYER_NAMES} == set(SAM_QUESTIONS.values())
    assert sam_question(99) == SAM_QUESTIONS[1]  # a layer without its own question
