"""The content rules of the question-bank lint, one module per concern, and the per-prompt table.

Each problem carries its rule name:

- ``breadth`` (`breadth`): prompts and topics per layer, prompts per (layer, topic), topic share,
  and how many prompts carry `first_meeting: true`, all from the bank's `LintProfile`.
- ``duplicate`` (`duplicates`): exact and near (meaning) duplicates within one audience.
- ``safety`` (`safety`): off-limits words in the text or the example.
- ``presumption`` (`safety`): phrases that presume a commute, children, a team, a hobby, an
  earlier or later round...
- ``first-meeting`` (`wording`): first-meeting phrasing without `first_meeting: true`.
- ``one-word`` (`wording`): a layer-1 preference question that invites no story or reason.
- ``example`` (`wording`): a missing or malformed example answer.
- ``open-ended``, ``reading-ease``, ``partner-wording`` (`wording`): no bare yes/no questions,
  Flesch reading ease >= 60, "your partner" only in layer 4 ("You & me").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.engine.bank import Bank, Prompt
from bot.questions.profiles import LintProfile
from bot.questions.rules import wording
from bot.questions.rules.safety import denied_terms, presumptions

MIN_READING_EASE = 60.0
PARTNER_LAYER = 4
STORY_LAYER = 1  # "Hello": light, but every prompt opens a small story

Check = Callable[[Prompt, Bank, LintProfile], str | None]


@dataclass(frozen=True)
class PromptRule:
    """A check of one prompt field; `check` returns the problem's message or None."""

    rule: str
    field: str
    check: Check


def _safety(text: str, bank: Bank) -> str | None:
    hits = denied_terms(text, bank.audience)
    if not hits:
        return None
    return f"{', '.join(repr(h) for h in hits)}: off-limits in a {bank.audience} bank"


def _text_safety(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    return _safety(prompt.text, bank)


def _example_safety(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    return _safety(prompt.example, bank) if prompt.example else None


def _presumption(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    found = presumptions(prompt.text)
    if not found:
        return None
    named = "; ".join(f"'{phrase}' presumes {what}" for phrase, what in found)
    return f"{named}: ask in a way everyone can answer"


def _first_meeting(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    phrases = wording.first_meeting_phrases(prompt.text)
    if not phrases or prompt.first_meeting:
        return None
    quoted = ", ".join(repr(p) for p in phrases)
    return (
        f"{quoted} only fits a pair's first meeting: rephrase so it works the fifth time too, "
        "or mark it first_meeting: true"
    )


def _one_word(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    if prompt.layer != STORY_LAYER or not wording.is_one_word_preference(prompt.text):
        return None
    return (
        "a preference question one word can answer: ask for the story or the reason too "
        "(why, how, when, what happened, what made...)"
    )


def _example(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    if prompt.example is None or not prompt.example.strip():
        if not profile.require_example:
            return None
        return "is required: a short warm sample answer of 1-3 sentences"
    issues = wording.example_issues(prompt.example)
    return "; ".join(issues) if issues else None


def _open_ended(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    if not wording.is_closed_question(prompt.text):
        return None
    return "reads as a yes/no question; ask what, how, which or why instead"


def _reading_ease(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    score = wording.flesch_reading_ease(prompt.text)
    if score >= MIN_READING_EASE:
        return None
    return f"Flesch reading ease {score:.1f} is below {MIN_READING_EASE:.0f}; use shorter words"


def _partner_wording(prompt: Prompt, bank: Bank, profile: LintProfile) -> str | None:
    if prompt.layer == PARTNER_LAYER or not wording.has_partner_phrase(prompt.text):
        return None
    return f"'your partner' belongs to layer {PARTNER_LAYER} only (this is layer {prompt.layer})"


PROMPT_RULES: tuple[PromptRule, ...] = (
    PromptRule("safety", "text", _text_safety),
    PromptRule("safety", "example", _example_safety),
    PromptRule("presumption", "text", _presumption),
    PromptRule("first-meeting", "text", _first_meeting),
    PromptRule("one-word", "text", _one_word),
    PromptRule("example", "example", _example),
    PromptRule("open-ended", "text", _open_ended),
    PromptRule("reading-ease", "text", _reading_ease),
    PromptRule("partner-wording", "text", _partner_wording),
)
