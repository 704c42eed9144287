"""Question-bank lint: `lint_sources` / `lint_banks`, and `python -m bot.questions.lint`.

Banks are linted together, the way the bot loads them: the schema and every cross-file check
(bank names and prompt ids unique across all files, every layer up to the configured depth
present) first, then the content rules of `bot.questions.rules` on each bank that loaded, with
the size thresholds of its `LintProfile` (`bot.questions.profiles`). A file with schema problems
gets no content rules until it loads; the other files are still linted. Every prompt-level
problem names its `file:line`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.engine.bank import Bank
from bot.questions.loader import (
    ParsedFile,
    bank_files,
    cross_bank_problems,
    depth_problems,
    display_path,
    parse_bank_file,
    split_stem,
)
from bot.questions.profiles import CUSTOM, LintProfile
from bot.questions.rules import PROMPT_RULES
from bot.questions.rules.breadth import breadth_problems
from bot.questions.rules.duplicates import duplicate_problems
from bot.questions.schema import Problem
from bot.questions.translations import (
    parse_translation,
    reading_ease_notes,
    translation_files,
    translation_problems,
)


@dataclass(frozen=True)
class LintSource:
    """A bank file or a directory of bank files, and the profile its banks are held to."""

    path: Path
    profile: LintProfile = CUSTOM


@dataclass(frozen=True)
class SummaryRow:
    """Counts for one layer of one bank."""

    bank: str
    layer: int
    prompts: int
    topics: int
    not_hierarchy_safe: int
    profile: str = CUSTOM.name


@dataclass
class LintReport:
    """Everything the lint found, plus a per-bank, per-layer summary."""

    problems: list[Problem] = field(default_factory=list)
    summary: list[SummaryRow] = field(default_factory=list)
    files: int = 0
    notes: list[str] = field(default_factory=list)  # checks skipped, and why

    @property
    def ok(self) -> bool:
        return not self.problems


def _add(files: dict[Path, LintSource], source: LintSource) -> None:
    key = source.path.resolve()
    files[key] = replace(files[key], profile=source.profile) if key in files else source


def _collect_files(sources: Sequence[LintSource]) -> tuple[list[LintSource], list[Problem]]:
    """One source per file, in order; a file reached twice keeps its first place and takes the
    profile of its last mention (a path named after the configured folders decides)."""
    files: dict[Path, LintSource] = {}
    problems: list[Problem] = []
    for source in sources:
        path = source.path
        if path.is_dir():
            found = bank_files(path) + translation_files(path)
            if not found:
                message = "no bank files (*.yaml, *.yml) in this directory"
                problems.append(Problem(display_path(path), None, None, message))
            for file in found:
                _add(files, LintSource(file, source.profile))
        elif path.exists():
            _add(files, source)
        else:
            problems.append(Problem(display_path(path), None, None, "path not found"))
    return list(files.values()), problems


def prompt_problems(shown: str, bank: Bank, profile: LintProfile) -> list[Problem]:
    """Every per-prompt content rule (safety, presumption, wording, example...) on `bank`."""
    return [
        Problem(shown, prompt.id, rule.field, message, rule.rule)
        for prompt in bank.prompts
        for rule in PROMPT_RULES
        if (message := rule.check(prompt, bank, profile)) is not None
    ]


def summarise(bank: Bank, profile: LintProfile = CUSTOM) -> list[SummaryRow]:
    rows = []
    for layer in bank.layers:
        prompts = bank.in_layer(layer)
        unsafe = sum(1 for p in prompts if not p.hierarchy_safe)
        topics = len({p.topic for p in prompts})
        rows.append(SummaryRow(bank.name, layer, len(prompts), topics, unsafe, profile.name))
    return rows


def _with_lines(problems: Sequence[Problem], parsed: dict[str, ParsedFile]) -> list[Problem]:
    """Give each problem found on a loaded bank the line of its prompt and field."""
    located = []
    for problem in problems:
        lines = parsed[problem.file].lines if problem.file in parsed else None
        if problem.line is None and lines is not None and problem.prompt_id is not None:
            problem = replace(problem, line=lines.of_prompt_id(problem.prompt_id, problem.field))
        located.append(problem)
    return located


def lint_sources(sources: Sequence[LintSource], depth: int | None = None) -> LintReport:
    """Lint every bank of `sources` together; never raises for bad banks. With `depth` (the
    configured RAPPORT_MAX_LAYER), a bank missing a layer up to it is a problem too."""
    files, problems = _collect_files(sources)
    translated = [s.path for s in files if split_stem(s.path.stem)[1] is not None]
    loaded: list[tuple[ParsedFile, Bank, LintProfile]] = []
    for source in files:
        if source.path in translated:
            continue
        parsed = parse_bank_file(source.path)
        problems.extend(parsed.problems)
        if depth is not None:
            problems.extend(depth_problems(parsed, depth))
        if parsed.bank is not None:
            loaded.append((parsed, parsed.bank, source.profile))
    problems.extend(cross_bank_problems([parsed for parsed, _, _ in loaded]))
    content: list[Problem] = []
    for parsed, bank, profile in loaded:
        content.extend(breadth_problems(parsed.shown, bank, profile))
        content.extend(prompt_problems(parsed.shown, bank, profile))
    content.extend(duplicate_problems([(parsed.shown, bank) for parsed, bank, _ in loaded]))
    problems.extend(_with_lines(content, {parsed.shown: parsed for parsed, _, _ in loaded}))
    summary = [row for _, bank, profile in loaded for row in summarise(bank, profile)]
    problems.extend(_translation_problems(translated, {bank.name: bank for _, bank, _ in loaded}))
    notes = reading_ease_notes() if translated else []
    return LintReport(problems=problems, summary=summary, files=len(files), notes=notes)


def _translation_problems(paths: Sequence[Path], banks: dict[str, Bank]) -> list[Problem]:
    """Each `<bank>.<language>.yaml` against its bank (linted in the same run)."""
    problems: list[Problem] = []
    for path in paths:
        translation, found = parse_translation(path)
        problems += found
        if translation is not None:
            problems += translation_problems(translation, banks.get(translation.bank))
    return problems


def lint_banks(
    paths: Sequence[Path], profile: LintProfile = CUSTOM, depth: int | None = None
) -> LintReport:
    """Lint bank files and directories together, all held to one profile."""
    return lint_sources([LintSource(path, profile) for path in paths], depth)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.questions.lint [ARGS]`: the same as `rapport questions lint [ARGS]`."""
    import sys

    from bot.cli import main as rapport_main

    return rapport_main(["questions", "lint", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
