"""Terminal output for the question-bank commands (`rapport questions lint|show`).

Both functions print to the given rich `Console` and return a process exit code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.engine.bank import LAYER_NAMES, Bank
from bot.questions.lint import LintReport, SummaryRow, lint_banks
from bot.questions.loader import BankError, load_banks
from bot.questions.schema import Problem
from bot.text import plural


def _layer_label(layer: int) -> str:
    return f"{layer} {LAYER_NAMES.get(layer, '')}".strip()


def _print_problems(problems: Sequence[Problem], console: Console) -> None:
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    for file, found in by_file.items():
        count = plural(len(found), "problem", "problems")
        console.print(Text(f"{file} — {count}", style="bold red"))
        for problem in found:
            line = Text("  ")
            line.append(f"[{problem.rule}] ", style="yellow")
            line.append(str(problem))
            console.print(line)


def _summary_table(rows: Sequence[SummaryRow]) -> Table:
    table = Table(title="Question banks")
    for name, justify in (
        ("Bank", "left"),
        ("Layer", "left"),
        ("Prompts", "right"),
        ("Topics", "right"),
        ("Not hierarchy-safe", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            escape(row.bank),
            _layer_label(row.layer),
            str(row.prompts),
            str(row.topics),
            str(row.not_hierarchy_safe),
        )
    return table


def _verdict(report: LintReport, console: Console) -> int:
    if report.ok:
        banks = len({row.bank for row in report.summary})
        prompts = sum(row.prompts for row in report.summary)
        console.print(
            f"[green]OK[/]: {plural(banks, 'bank', 'banks')}, "
            f"{plural(prompts, 'prompt', 'prompts')}, no problems."
        )
        return 0
    files = len({problem.file for problem in report.problems})
    problems = plural(len(report.problems), "problem", "problems")
    console.print(f"[red]{problems}[/] in {plural(files, 'file', 'files')}.")
    return 1


def run_lint(paths: Sequence[Path], console: Console) -> int:
    """Lint the given bank files/directories; print problems and a summary; 0 when clean."""
    report = lint_banks(paths)
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
