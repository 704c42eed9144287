"""What the demo's scripted players say, chosen to fit the prompt or question they were given.

Every shipped prompt carries its own `example` answer (the lint requires one); that comes first.
A prompt without one (a team's own question, say) gets a neutral answer for its layer. Sam is
brief on purpose in one layer (`BRIEF_ANSWERS`), and both players ask and answer short
follow-up questions about what the other shared. Every line here was written for this project.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.bank import Bank, Prompt
from bot.i18n import N_

# a prompt without an example: neutral answers that still suit its layer's depth (two each, so
# both scripted players in `--auto` can answer without echoing each other)
LAYER_ANSWERS: dict[int, tuple[str, str]] = {
    1: (
        N_("Something small and ordinary, honestly. I like the simple version of most things."),
        N_("It changes with the seasons, but I always come back to the same few favorites."),
    ),
    2: (
        N_("It depends on the day, but I do best when I know why something matters."),
        N_("Slowly, with a few notes along the way. I like to see how things fit together."),
    ),
    3: (
        N_("Being someone people can rely on. That has mattered to me for a long time."),
        N_("Staying curious. I'd rather ask a naive question than pretend I understood."),
    ),
    4: (
        N_("How easy this was. I'd happily keep talking with you."),
        N_("You made it easy to be honest. I'd like to hear more of your stories."),
    ),
}

# Sam in the layer it is brief on purpose: short enough that any layer you wrote a couple of
# sentences in is very uneven, so the balance guard holds the round and asks you both
BRIEF_ANSWERS = ("The usual.", "Hard to say.", "Not sure, really.")
# Sam's follow-up about what you shared, by layer: curious, short, and open to any answer
SAM_QUESTIONS: dict[int, str] = {
    1: "Ooh, what's the story behind that?",
    2: "How did you end up doing it that way?",
    3: "When did you first notice that mattered to you?",
    4: "What would you like us to try next?",
}
# Sam's brief answer to a follow-up you ask
SAM_FOLLOW_UP_ANSWER = "Good question! Honestly, it just grew on me over time."
# `--auto` playing your side: the follow-up it asks Sam, and its answer to Sam's
AUTO_QUESTION = "What made you pick that one?"
AUTO_FOLLOW_UP_ANSWER = "It started as a small experiment, and it simply stuck with me."


def brief_answer(number_in_layer: int) -> str:
    """Sam's short answer to the layer's `number_in_layer`-th prompt (1 = the first)."""
    return BRIEF_ANSWERS[(number_in_layer - 1) % len(BRIEF_ANSWERS)]


def sam_question(layer: int) -> str:
    """The follow-up Sam asks about what you shared at this layer."""
    return SAM_QUESTIONS.get(layer, SAM_QUESTIONS[1])


def bank_prompt(banks: Mapping[str, Bank], data: Mapping[str, Any]) -> Prompt | None:
    """The bank prompt a PROMPT delivery's data names (None for an unknown bank or id)."""
    bank = banks.get(str(data.get("bank")))
    return bank.get(str(data.get("prompt_id"))) if bank else None


def answers_for(prompt: Prompt | None, layer: int) -> list[str]:
    """Answers that fit this prompt, best first: its example, then its layer's."""
    written = (prompt.example,) if prompt and prompt.example else ()
    return [*written, *LAYER_ANSWERS.get(layer, LAYER_ANSWERS[1])]
