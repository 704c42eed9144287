"""Question banks in other languages: `<bank>.<language>.yaml` translates `<bank>`.

A translation carries the bank's header (with `language:` added) and every prompt of its bank,
in the same order, with the same id, layer, topic and flags; only `text` and `example` (and the
title and description) are translated. `translation_problems` checks exactly that, plus the
language's own text rules: its length limits, one closing "?" (Spanish also opens with "¿") and
reading ease where a formula exists for the language. Rounds draw prompts from the source bank;
a reader sees the translated text of the same prompt id (`bot.i18n.prompts`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.engine.bank import Bank, Prompt
from bot.questions.loader import display_path, read_yaml, split_stem, yaml_files
from bot.questions.marks import LineMap
from bot.questions.rules.wording import example_issues
from bot.questions.schema import BankError, Problem

RULE = "translation"


@dataclass(frozen=True)
class TextRules:
    """One language's limits for a prompt's text."""

    max_chars: int = 180
    max_words: int = 25
    opening: str | None = None  # a question's opening mark ("¿" in Spanish)
    # reading ease: (a, b, c) in a - b * words/sentence - c * syllables/word, with its minimum;
    # None where no formula is in use for the language
    ease: tuple[float, float, float, float] | None = None
    ease_name: str = ""


# The minimums are low on purpose: these formulas were calibrated on running text, and a
# one-sentence question scores lower than prose of the same difficulty. They flag the heavy
# outliers (long compounds, stacked clauses) without failing ordinary, natural questions.
TEXT_RULES = {
    # Amstad's German Flesch: 180 - ASL - 58.5 * ASW
    "de": TextRules(200, 28, ease=(180.0, 1.0, 58.5, 20.0), ease_name="Amstad reading ease"),
    # Szigriszt-Pazos perspicuity: 206.835 - ASL - 62.3 * ASW
    "es": TextRules(
        opening="¿", ease=(206.835, 1.0, 62.3, 40.0), ease_name="Szigriszt-Pazos perspicuity"
    ),
    # Kandel & Moles' French Flesch: 207 - 1.015 * ASL - 73.6 * ASW
    "fr": TextRules(ease=(207.0, 1.015, 73.6, 20.0), ease_name="Kandel-Moles reading ease"),
    # no reading-ease formula is used for Brazilian Portuguese: that check is skipped (a note
    # in `rapport questions lint`), the length and question-mark rules still hold
    "pt-BR": TextRules(),
}
_VOWEL_GROUPS = re.compile(r"[aeiouyàáâãäåèéêëìíîïòóôõöùúûüýÿæœ]+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


class TranslatedPromptModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: str
    layer: int
    topic: str
    text: str = Field(min_length=1)
    hierarchy_safe: bool = True
    example: str | None = None
    first_meeting: bool = False


class TranslationFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    bank: str
    language: str
    title: str = Field(min_length=1)
    audience: str
    description: str = ""
    topics: list[str] = Field(min_length=1)
    prompts: list[TranslatedPromptModel] = Field(min_length=1)


@dataclass(frozen=True)
class Translation:
    """One translated bank file: its prompts by id, and where each one is in the file."""

    bank: str
    language: str
    shown: str
    model: TranslationFileModel
    lines: LineMap = field(default_factory=LineMap)

    @property
    def texts(self) -> dict[str, tuple[str, str | None]]:
        return {p.id: (" ".join(p.text.split()), p.example) for p in self.model.prompts}


def translation_files(directory: Path) -> list[Path]:
    """The translation files directly inside `directory`, in name order."""
    return [p for p in yaml_files(directory) if split_stem(p.stem)[1] is not None]


def parse_translation(path: Path) -> tuple[Translation | None, list[Problem]]:
    shown = display_path(path)
    bank, language = split_stem(path.stem)
    assert language is not None, path
    raw, lines, problems = read_yaml(path, shown)
    if problems:
        return None, problems
    try:
        model = TranslationFileModel.model_validate(raw)
    except ValidationError as exc:
        found = [
            Problem(shown, None, ".".join(map(str, e["loc"])) or None, str(e["msg"]), RULE)
            for e in exc.errors()
        ]
        return None, found
    problems = []
    if model.bank != bank:
        message = f"must equal the file name's bank '{bank}' (got '{model.bank}')"
        problems.append(Problem(shown, None, "bank", message, RULE, lines.of_header("bank")))
    if model.language != language:
        message = f"must equal the file name's language '{language}' (got '{model.language}')"
        problems.append(
            Problem(shown, None, "language", message, RULE, lines.of_header("language"))
        )
    return Translation(bank, language, shown, model, lines), problems


def translation_problems(translation: Translation, bank: Bank | None) -> list[Problem]:
    """A translation against its bank: the same prompts and flags, and the language's rules."""
    shown, lines = translation.shown, translation.lines
    if bank is None:
        message = f"translates bank '{translation.bank}', which isn't loaded"
        return [Problem(shown, None, "bank", message, RULE, lines.of_header("bank"))]
    problems = _header_problems(translation, bank)
    source = {p.id: p for p in bank.prompts}
    translated = [p.id for p in translation.model.prompts]
    for missing in [p.id for p in bank.prompts if p.id not in translated]:
        problems.append(Problem(shown, missing, "id", f"is missing (bank '{bank.name}')", RULE))
    for prompt in translation.model.prompts:
        original = source.get(prompt.id)
        line = lines.of_prompt_id(prompt.id, "id")
        if original is None:
            message = f"is not a prompt of bank '{bank.name}'"
            problems.append(Problem(shown, prompt.id, "id", message, RULE, line))
            continue
        for name, message in _prompt_issues(prompt, original, translation.language):
            problems.append(
                Problem(shown, prompt.id, name, message, RULE, lines.of_prompt_id(prompt.id, name))
            )
    if not problems and translated != [p.id for p in bank.prompts if p.id in translated]:
        problems.append(Problem(shown, None, "prompts", "keep the bank's order of prompts", RULE))
    return problems


def _header_problems(translation: Translation, bank: Bank) -> list[Problem]:
    model, shown, lines = translation.model, translation.shown, translation.lines
    problems = []
    if model.audience != bank.audience:
        message = f"must be the bank's audience '{bank.audience}' (got '{model.audience}')"
        problems.append(
            Problem(shown, None, "audience", message, RULE, lines.of_header("audience"))
        )
    if tuple(model.topics) != bank.topics:
        message = "must list the bank's topics, untranslated and in the same order"
        problems.append(Problem(shown, None, "topics", message, RULE, lines.of_header("topics")))
    return problems


def _prompt_issues(
    prompt: TranslatedPromptModel, original: Prompt, language: str
) -> list[tuple[str, str]]:
    issues = [
        (name, f"must be the bank's {name} {ours!r} (got {theirs!r})")
        for name, ours, theirs in (
            ("layer", original.layer, prompt.layer),
            ("topic", original.topic, prompt.topic),
            ("hierarchy_safe", original.hierarchy_safe, prompt.hierarchy_safe),
            ("first_meeting", original.first_meeting, prompt.first_meeting),
        )
        if ours != theirs
    ]
    issues += [("text", issue) for issue in text_issues(" ".join(prompt.text.split()), language)]
    if original.example is not None and prompt.example is None:
        issues.append(("example", "is missing (the bank's prompt has one)"))
    if prompt.example is not None:
        issues += [("example", issue) for issue in example_issues(prompt.example)]
    return issues


def text_issues(text: str, language: str) -> list[str]:
    """What is wrong with a translated prompt's text under its language's rules."""
    rules = TEXT_RULES[language]
    issues = []
    if not text.endswith("?") or text.count("?") != 1:
        issues.append("must end with exactly one '?' and contain no other '?'")
    if rules.opening and (not text.startswith(rules.opening) or text.count(rules.opening) != 1):
        issues.append(f"must open with one '{rules.opening}' and contain no other")
    if len(text) > rules.max_chars:
        issues.append(f"must be at most {rules.max_chars} characters (has {len(text)})")
    if (words := len(text.split())) > rules.max_words:
        issues.append(f"must be at most {rules.max_words} words (has {words})")
    if rules.ease is not None and (score := reading_ease(text, rules.ease)) < rules.ease[3]:
        issues.append(f"{rules.ease_name} {score:.1f} is below {rules.ease[3]:.0f}; simplify it")
    return issues


def reading_ease(text: str, formula: tuple[float, float, float, float]) -> float:
    """The language's Flesch-style score, the prompt counted as one sentence."""
    base, per_word, per_syllable, _minimum = formula
    words = _WORD.findall(text)
    if not words:
        return base
    syllables = sum(max(len(_VOWEL_GROUPS.findall(w)), 1) for w in words)
    return base - per_word * len(words) - per_syllable * syllables / len(words)


def reading_ease_notes() -> list[str]:
    """One note per language whose reading ease isn't checked."""
    return [
        f"{language}: reading ease not checked (no formula in use for this language)"
        for language, rules in TEXT_RULES.items()
        if rules.ease is None
    ]


def read_translations(dirs: Iterable[Path]) -> tuple[list[Translation], list[Problem]]:
    found: list[Translation] = []
    problems: list[Problem] = []
    for directory in dirs:
        if not directory.is_dir():
            continue  # `read_dirs` names a missing directory
        for path in translation_files(directory):
            translation, issues = parse_translation(path)
            problems += issues
            if translation is not None:
                found.append(translation)
    return found, problems


def load_translations(
    dirs: Iterable[Path], banks: Mapping[str, Bank]
) -> dict[tuple[str, str], dict[str, tuple[str, str | None]]]:
    """(bank, language) -> prompt id -> (text, example) for every translation in `dirs`;
    raises `BankError` naming every problem, like `load_banks`."""
    translations, problems = read_translations(dirs)
    for translation in translations:
        problems += translation_problems(translation, banks.get(translation.bank))
    if problems:
        raise BankError(problems)
    return {(t.bank, t.language): t.texts for t in translations}
