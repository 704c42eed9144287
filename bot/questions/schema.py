"""Schema of one question-bank YAML file, and the problem type every bank check reports.

A bank file looks like::

    bank: workplace          # must equal the file stem
    title: Workplace
    audience: workplace      # workplace | community
    description: Low-stakes prompts for colleagues.   # optional
    topics: [routines, tastes]
    prompts:
      - id: wp-1-routines-01
        layer: 1             # 1..4
        topic: routines      # one of `topics`
        text: What is the first thing you do when you start work?
        hierarchy_safe: true # optional, default true
        example: I open yesterday's notes before anything else.  # a short sample answer
        first_meeting: false # optional: phrased for a first meeting only

Types are strict (``layer: "1"`` is an error, not a coercion) and unknown keys are errors.
Rules that need more than one field (topic declared, ids unique, bank equals file stem) live in
`cross_field_problems`, which works on the raw YAML so it reports alongside pydantic's errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.questions.marks import LineMap

MAX_TEXT_CHARS = 180
MAX_TEXT_WORDS = 25
MIN_LAYER, MAX_LAYER = 1, 4
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SLUG_HINT = "lowercase letters and digits joined by single hyphens or underscores"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank file; `rule` says which check found it."""

    file: str
    prompt_id: str | None
    field: str | None
    message: str
    rule: str = "schema"
    line: int | None = None

    @property
    def where(self) -> str:
        """`file:line`, or just the file for a problem that belongs to no line."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        parts = [self.where]
        if self.prompt_id is not None:
            parts.append(f"prompt {self.prompt_id}")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts)


class BankError(Exception):
    """Raised when bank files cannot be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def text_issues(text: str) -> list[str]:
    """What is wrong with a prompt's (whitespace-collapsed) text, if anything."""
    issues = []
    if not re.search(r"[A-Za-z]", text):
        issues.append("must contain words")
    if not text.endswith("?") or text.count("?") != 1:
        issues.append("must end with exactly one '?' and contain no other '?'")
    if len(text) > MAX_TEXT_CHARS:
        issues.append(f"must be at most {MAX_TEXT_CHARS} characters (has {len(text)})")
    words = len(text.split())
    if words > MAX_TEXT_WORDS:
        issues.append(f"must be at most {MAX_TEXT_WORDS} words (has {words})")
    return issues


class PromptModel(BaseModel):
    """One prompt entry under `prompts:`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: str
    layer: int
    topic: str
    text: str
    hierarchy_safe: bool = True
    example: str | None = None
    first_meeting: bool = False

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"must be {SLUG_HINT} (got {value!r})")
        return value

    @field_validator("layer")
    @classmethod
    def _layer_range(cls, value: int) -> int:
        if not MIN_LAYER <= value <= MAX_LAYER:
            raise ValueError(f"must be between {MIN_LAYER} and {MAX_LAYER} (got {value})")
        return value

    @field_validator("text")
    @classmethod
    def _text_rules(cls, value: str) -> str:
        text = " ".join(value.split())
        issues = text_issues(text)
        if issues:
            raise ValueError("; ".join(issues))
        return text


class BankFileModel(BaseModel):
    """A whole bank file: header fields plus its prompts."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    bank: str
    title: str = Field(min_length=1)
    audience: Literal["workplace", "community"]
    description: str = ""
    topics: list[str] = Field(min_length=1)
    prompts: list[PromptModel] = Field(min_length=1)

    @field_validator("bank")
    @classmethod
    def _bank_slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"must be {SLUG_HINT} (got {value!r})")
        return value

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        bad = [topic for topic in value if not SLUG.match(topic)]
        if bad:
            raise ValueError(f"topics must be {SLUG_HINT} (bad: {', '.join(map(repr, bad))})")
        repeated = sorted({topic for topic in value if value.count(topic) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        return value


def prompt_label(raw: object, index: int) -> str:
    """The id to name a raw prompt by: its `id` if it has a usable one, else its position."""
    if isinstance(raw, Mapping):
        prompt_id = raw.get("id")
        if isinstance(prompt_id, str) and prompt_id.strip():
            return prompt_id
    return f"#{index + 1}"


def cross_field_problems(
    raw: Mapping[str, Any], stem: str, shown: str, lines: LineMap
) -> list[Problem]:
    """Checks spanning fields, each at its line. Wrong types are left to pydantic, so each
    problem is reported once."""
    found: list[Problem] = []
    bank = raw.get("bank")
    if isinstance(bank, str) and bank != stem:
        message = f"must equal the file name '{stem}' (got '{bank}')"
        found.append(Problem(shown, None, "bank", message, line=lines.of_header("bank")))
    topics = raw.get("topics")
    declared = {t for t in topics if isinstance(t, str)} if isinstance(topics, list) else None
    prompts = raw.get("prompts")
    if not isinstance(prompts, list):
        return found
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(prompts):
        if not isinstance(entry, Mapping):
            continue
        label = prompt_label(entry, index)
        topic = entry.get("topic")
        if declared is not None and isinstance(topic, str) and topic not in declared:
            allowed = ", ".join(sorted(declared)) or "none declared"
            message = f"'{topic}' is not one of the bank's topics ({allowed})"
            line = lines.of_prompt(index, "topic")
            found.append(Problem(shown, label, "topic", message, line=line))
        prompt_id = entry.get("id")
        if isinstance(prompt_id, str):
            if prompt_id in first_seen:
                first = lines.of_prompt(first_seen[prompt_id], "id")
                message = f"is used more than once in this file (first at line {first})"
                line = lines.of_prompt(index, "id")
                found.append(Problem(shown, label, "id", message, line=line))
            else:
                first_seen[prompt_id] = index
    return found
