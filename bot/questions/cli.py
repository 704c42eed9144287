"""Terminal output for the question-bank commands (`rapport questions lint|show`).

Both functions print to the given rich `Console` and return a process exit code. Problem lines
are printed with `soft_wrap`, so piped output keeps one problem per line whatever the width.
`lint_targets` decides what `rapport questions lint` checks: what the bot would load (the
configured question folders) plus any paths given, each with its profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.engine.bank import LAYER_NAMES, Bank
from bot.i18n.translate import translator
from bot.questions.lint import LintReport, LintSource, SummaryRow, lint_sources
from bot.questions.loader import BankError, load_banks
from bot.questions.profiles import CUSTOM, SHIPPED, LintProfile
from bot.questions.schema import Problem

# operator output stays English; CLDR plurals through the one translation layer
counted = translator("en").ngettext


def _layer_label(layer: int) -> str:
    return f"{layer} {LAYER_NAMES.get(layer, '')}".strip()


def _print_problems(problems: Sequence[Problem], console: Console) -> None:
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    for file, found in by_file.items():
        count = counted("{count} problem", "{count} problems", len(found))
        console.print(Text(f"{file} — {count}", style="bold red"), soft_wrap=True)
        for problem in sorted(found, key=lambda p: p.line or 0):
            line = Text("  ")
            line.append(f"[{problem.rule}] ", style="yellow")
            line.append(str(problem))
            console.print(line, soft_wrap=True)


def _summary_table(rows: Sequence[SummaryRow]) -> Table:
    table = Table(title="Question banks")
    for name, justify in (
        ("Bank", "left"),
        ("Layer", "left"),
        ("Prompts", "right"),
        ("Topics", "right"),
        ("Not hierarchy-safe", "right"),
        ("Profile", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            escape(row.bank),
            _layer_label(row.layer),
            str(row.prompts),
            str(row.topics),
            str(row.not_hierarchy_safe),
            row.profile,
        )
    return table


def _verdict(report: LintReport, console: Console) -> int:
    for note in report.notes:
        console.print(f"[dim]Note: {note}[/]", soft_wrap=True)
    if report.ok:
        banks = len({row.bank for row in report.summary})
        prompts = sum(row.prompts for row in report.summary)
        console.print(
            f"[green]OK[/]: {counted('{count} bank', '{count} banks', banks)}, "
            f"{counted('{count} prompt', '{count} prompts', prompts)}, no problems.",
            soft_wrap=True,
        )
        return 0
    files = len({problem.file for problem in report.problems})
    problems = counted("{count} problem", "{count} problems", len(report.problems))
    console.print(
        f"[red]{problems}[/] in {counted('{count} file', '{count} files', files)}.", soft_wrap=True
    )
    return 1


def _profile_of(path: Path) -> LintProfile:
    """The shipped profile for the banks shipped with Rapport, the custom one elsewhere."""
    try:
        path.resolve().relative_to(DEFAULT_QUESTIONS_DIR.resolve())
    except ValueError:
        return CUSTOM
    return SHIPPED


def lint_targets(
    paths: Sequence[Path],
    configured: Sequence[Path],
    *,
    alone: bool = False,
    profile: LintProfile | None = None,
) -> list[LintSource]:
    """What to lint: the configured folders (what the bot loads: the shipped banks, then
    RAPPORT_EXTRA_QUESTIONS_DIR) unless `alone`, then `paths`. `profile` overrides the profile
    of the given paths (else: shipped inside Rapport's own questions folder, custom elsewhere)."""
    context = [] if alone and paths else [LintSource(p, _profile_of(p)) for p in configured]
    given = [LintSource(p, profile or _profile_of(p)) for p in paths]
    return context + given


def run_lint(sources: Sequence[LintSource], console: Console, depth: int | None = None) -> int:
    """Lint the given sources together; print problems and a summary; 0 when clean."""
    report = lint_sources(sources, depth)
    _print_problems(report.problems, console)
    if report.summary:
        console.print(_summary_table(report.summary))
    return _verdict(report, console)


def _prompt_table(bank: Bank, layer: int) -> Table:
    title = f"{bank.title} — layer {_layer_label(layer)}"
    table = Table(title=escape(title))
    table.add_column("ID", no_wrap=True)
    table.add_column("Topic")
    table.add_column("Safe")
    table.add_column("Text")
    for prompt in bank.in_layer(layer):
        safe = "yes" if prompt.hierarchy_safe else "[yellow]no[/]"
        table.add_row(escape(prompt.id), escape(prompt.topic), safe, escape(prompt.text))
    return table


def run_show(bank_name: str, layer: int | None, dirs: Iterable[Path], console: Console) -> int:
    """Print a bank's prompts for one layer (or every layer when `layer` is None)."""
    try:
        banks = load_banks(dirs)
    except BankError as exc:
        console.print("[red]The question banks could not be loaded:[/]")
        _print_problems(exc.problems, console)
        return 1
    bank = banks.get(bank_name)
    if bank is None:
        available = ", ".join(sorted(banks)) or "none"
        console.print(
            f"There is no bank named '{escape(bank_name)}'. Available banks: {escape(available)}."
        )
        return 1
    if layer is not None and layer not in bank.layers:
        available = ", ".join(_layer_label(n) for n in bank.layers)
        console.print(
            f"Bank '{escape(bank.name)}' has no layer {layer}. Available layers: {available}."
        )
        return 1
    for shown in bank.layers if layer is None else (layer,):
        console.print(_prompt_table(bank, shown))
    return 0
