"""Load question-bank YAML files into the engine's `Bank` / `Prompt` values.

Every problem is collected before anything is raised, so one run of `load_banks` names every bad
file, prompt and field at once (`BankError.problems`). Banks from later directories are added to
those of earlier ones; the same bank name or prompt id in two files is an error.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.engine.bank import Bank, Prompt
from bot.questions.schema import (
    BankError,
    BankFileModel,
    Problem,
    PromptModel,
    cross_field_problems,
    prompt_label,
)

__all__ = [
    "BankError",
    "Problem",
    "bank_files",
    "cross_bank_problems",
    "display_path",
    "load_bank",
    "load_banks",
    "parse_bank_file",
]

BANK_SUFFIXES = (".yaml", ".yml")
_TYPE_MESSAGES = {
    "int_type": "must be a whole number",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
}


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key repeated in one mapping (PyYAML silently keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep)


def display_path(path: Path) -> str:
    """The path as a user should read it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def bank_files(directory: Path) -> list[Path]:
    """The bank files directly inside `directory`, in name order."""
    return sorted(p for p in directory.iterdir() if p.suffix in BANK_SUFFIXES and p.is_file())


def _read_yaml(path: Path, shown: str) -> tuple[Any, list[Problem]]:
    def fail(message: str) -> tuple[Any, list[Problem]]:
        return None, [Problem(shown, None, None, message)]

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return fail("file not found")
    except IsADirectoryError:
        return fail("is a directory, expected a .yaml bank file")
    except UnicodeDecodeError:
        return fail("is not UTF-8 text")
    except OSError as exc:
        return fail(f"cannot be read ({exc.strerror})")
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return fail(f"invalid YAML{where}: {exc.problem or exc.context}")
    except yaml.YAMLError as exc:
        return fail(f"invalid YAML: {exc}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"is not a known key (allowed: {', '.join(model.model_fields)})"
    if kind == "value_error" and "ctx" in error:
        return str(error["ctx"]["error"])
    if kind == "too_short":
        return "must not be empty"
    if kind == "literal_error" and "ctx" in error:
        return f"must be {error['ctx']['expected']} (got {_short(error['input'])})"
    if kind in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[kind]} (got {_short(error['input'])})"
    return str(error["msg"])


def _validation_problems(exc: ValidationError, raw: dict[str, Any], shown: str) -> list[Problem]:
    prompts = raw.get("prompts")
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] == "prompts" and isinstance(loc[1], int):
            entry = prompts[loc[1]] if isinstance(prompts, list) else None
            field = ".".join(map(str, loc[2:])) or None
            message = _message(error, PromptModel)
            if field is None and error["type"] in ("model_type", "dict_type"):
                message = "must be a mapping with id, layer, topic and text"
            problems.append(Problem(shown, prompt_label(entry, loc[1]), field, message))
        else:
            field = ".".join(map(str, loc)) or None
            problems.append(Problem(shown, None, field, _message(error, BankFileModel)))
    return problems


def _to_bank(model: BankFileModel) -> Bank:
    prompts = tuple(
        Prompt(
            id=p.id,
            layer=p.layer,
            topic=p.topic,
            text=p.text,
            hierarchy_safe=p.hierarchy_safe,
            example=p.example,
            first_meeting=p.first_meeting,
        )
        for p in model.prompts
    )
    return Bank(
        name=model.bank,
        title=model.title,
        prompts=prompts,
        topics=tuple(model.topics),
        audience=model.audience,
    )


def parse_bank_file(path: Path) -> tuple[Bank | None, list[Problem]]:
    """Read and validate one file: the bank when it is valid, and every problem found."""
    shown = display_path(path)
    raw, problems = _read_yaml(path, shown)
    if problems:
        return None, problems
    if not isinstance(raw, dict):
        found = "the file is empty" if raw is None else f"found {type(raw).__name__}"
        keys = "bank, title, audience, topics, prompts"
        message = f"top level must be a mapping with {keys} ({found})"
        return None, [Problem(shown, None, None, message)]
    problems = [
        Problem(shown, label, field, message)
        for label, field, message in cross_field_problems(raw, path.stem)
    ]
    try:
        model = BankFileModel.model_validate(raw)
    except ValidationError as exc:
        return None, _validation_problems(exc, raw, shown) + problems
    return (None if problems else _to_bank(model)), problems


def load_bank(path: Path) -> Bank:
    """Load one bank file; raise `BankError` listing every problem in it."""
    bank, problems = parse_bank_file(path)
    if problems or bank is None:
        raise BankError(problems)
    return bank


def cross_bank_problems(entries: Sequence[tuple[str, Bank]]) -> list[Problem]:
    """Bank names and prompt ids must be unique across all files loaded together."""
    problems: list[Problem] = []
    bank_owner: dict[str, str] = {}
    id_owner: dict[str, str] = {}
    for shown, bank in entries:
        if bank.name in bank_owner:
            message = f"bank '{bank.name}' is already defined in {bank_owner[bank.name]}"
            problems.append(Problem(shown, None, "bank", message))
            continue
        bank_owner[bank.name] = shown
        for prompt in bank.prompts:
            if prompt.id in id_owner:
                message = f"is already used in {id_owner[prompt.id]}"
                problems.append(Problem(shown, prompt.id, "id", message))
            else:
                id_owner[prompt.id] = shown
    return problems


def load_banks(dirs: Iterable[Path]) -> dict[str, Bank]:
    """Load every `*.yaml` / `*.yml` bank in each directory, in order; raise `BankError` if any
    file, directory or cross-file check fails."""
    problems: list[Problem] = []
    entries: list[tuple[str, Bank]] = []
    for directory in dirs:
        if not directory.is_dir():
            problems.append(Problem(display_path(directory), None, None, "directory not found"))
            continue
        for path in bank_files(directory):
            bank, found = parse_bank_file(path)
            problems.extend(found)
            if bank is not None:
                entries.append((display_path(path), bank))
    problems.extend(cross_bank_problems(entries))
    if problems:
        raise BankError(problems)
    return {bank.name: bank for _, bank in entries}
