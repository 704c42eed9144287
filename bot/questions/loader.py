"""Load question-bank YAML files into the engine's `Bank` / `Prompt` values.

Every problem is collected before anything is raised, so one run of `load_banks` names every bad
file, prompt and field at once (`BankError.problems`), each at its `file:line`. Banks from later
directories are added to those of earlier ones; the same bank name or prompt id in two files is an
error, and so (given the configured depth) is a bank with no prompts in a layer up to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.engine.bank import LAYER_NAMES, Bank, Prompt
from bot.i18n import LANGUAGES, SOURCE_LANGUAGE
from bot.questions.marks import LineMap, load_with_lines, yaml_error_message
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
    "ParsedFile",
    "Problem",
    "bank_files",
    "cross_bank_problems",
    "depth_problems",
    "display_path",
    "load_bank",
    "load_banks",
    "parse_bank_file",
    "read_dirs",
    "read_yaml",
    "split_stem",
    "yaml_files",
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


def display_path(path: Path) -> str:
    """The path as a user should read it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def yaml_files(directory: Path) -> list[Path]:
    """Every YAML file directly inside `directory`, in name order."""
    return sorted(p for p in directory.iterdir() if p.suffix in BANK_SUFFIXES and p.is_file())


def bank_files(directory: Path) -> list[Path]:
    """The (source-language) bank files directly inside `directory`, in name order; a
    translation `<bank>.<language>.yaml` is not a bank of its own (`bot.questions.translations`)."""
    return [p for p in yaml_files(directory) if split_stem(p.stem)[1] is None]


def split_stem(stem: str) -> tuple[str, str | None]:
    """ "workplace.de" -> ("workplace", "de"); "workplace" -> ("workplace", None)."""
    bank, dot, language = stem.partition(".")
    translated = dot and language in LANGUAGES and language != SOURCE_LANGUAGE
    return (bank, language) if translated else (stem, None)


def read_yaml(path: Path, shown: str) -> tuple[Any, LineMap, list[Problem]]:
    def fail(message: str, line: int | None = None) -> tuple[Any, LineMap, list[Problem]]:
        return None, LineMap(), [Problem(shown, None, None, message, line=line)]

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
        raw, lines = load_with_lines(text)
    except yaml.YAMLError as exc:
        line, message = yaml_error_message(exc, text)
        return fail(message, line)
    return raw, lines, []


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


def _validation_problems(
    exc: ValidationError, raw: dict[str, Any], shown: str, lines: LineMap
) -> list[Problem]:
    prompts = raw.get("prompts")
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] == "prompts" and isinstance(loc[1], int):
            index = loc[1]
            entry = prompts[index] if isinstance(prompts, list) else None
            field_name = ".".join(map(str, loc[2:])) or None
            message = _message(error, PromptModel)
            if field_name is None and error["type"] in ("model_type", "dict_type"):
                message = "must be a mapping with id, layer, topic and text"
            line = lines.of_prompt(index, str(loc[2]) if len(loc) > 2 else None)
            label = prompt_label(entry, index)
            problems.append(Problem(shown, label, field_name, message, line=line))
        else:
            field_name = ".".join(map(str, loc)) or None
            message = _message(error, BankFileModel)
            line = lines.of_header(str(loc[0])) if loc else None
            problems.append(Problem(shown, None, field_name, message, line=line))
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


@dataclass(frozen=True)
class ParsedFile:
    """One bank file read and validated: the bank when it is valid, every problem, its lines."""

    shown: str
    bank: Bank | None
    problems: list[Problem] = field(default_factory=list)
    lines: LineMap = field(default_factory=LineMap)


def parse_bank_file(path: Path) -> ParsedFile:
    """Read and validate one file, naming each problem's line."""
    shown = display_path(path)
    raw, lines, problems = read_yaml(path, shown)
    if problems:
        return ParsedFile(shown, None, problems, lines)
    if not isinstance(raw, dict):
        found = "the file is empty" if raw is None else f"found {type(raw).__name__}"
        keys = "bank, title, audience, topics, prompts"
        message = f"top level must be a mapping with {keys} ({found})"
        return ParsedFile(shown, None, [Problem(shown, None, None, message, line=1)], lines)
    problems = cross_field_problems(raw, path.stem, shown, lines)
    try:
        model = BankFileModel.model_validate(raw)
    except ValidationError as exc:
        problems = _validation_problems(exc, raw, shown, lines) + problems
        return ParsedFile(shown, None, problems, lines)
    return ParsedFile(shown, None if problems else _to_bank(model), problems, lines)


def load_bank(path: Path) -> Bank:
    """Load one bank file; raise `BankError` listing every problem in it."""
    parsed = parse_bank_file(path)
    if parsed.problems or parsed.bank is None:
        raise BankError(parsed.problems)
    return parsed.bank


def cross_bank_problems(files: Sequence[ParsedFile]) -> list[Problem]:
    """Bank names and prompt ids must be unique across all files loaded together."""
    problems: list[Problem] = []
    bank_owner: dict[str, str] = {}
    id_owner: dict[str, str] = {}
    for parsed in files:
        bank, shown = parsed.bank, parsed.shown
        if bank is None:
            continue
        if bank.name in bank_owner:
            message = f"bank '{bank.name}' is already defined in {bank_owner[bank.name]}"
            line = parsed.lines.of_header("bank")
            problems.append(Problem(shown, None, "bank", message, line=line))
            continue
        bank_owner[bank.name] = shown
        for prompt in bank.prompts:
            if prompt.id in id_owner:
                message = f"is already used in {id_owner[prompt.id]}"
                line = parsed.lines.of_prompt_id(prompt.id, "id")
                problems.append(Problem(shown, prompt.id, "id", message, line=line))
            else:
                id_owner[prompt.id] = shown
    return problems


def depth_problems(parsed: ParsedFile, depth: int) -> list[Problem]:
    """Every layer up to the configured depth (RAPPORT_MAX_LAYER) needs prompts; otherwise a
    round silently stops early at the last layer the bank has."""
    bank = parsed.bank
    if bank is None:
        return []
    missing = [layer for layer in range(1, depth + 1) if not bank.in_layer(layer)]
    if not missing:
        return []
    names = ", ".join(f"{layer} ({LAYER_NAMES[layer]})" for layer in missing)
    noun = "layer" if len(missing) == 1 else "layers"
    message = (
        f"has no prompts in {noun} {names}; rounds go {depth} layers deep "
        f"(RAPPORT_MAX_LAYER={depth}): add prompts there or lower RAPPORT_MAX_LAYER"
    )
    line = parsed.lines.of_header("prompts")
    return [Problem(parsed.shown, None, "prompts", message, "depth", line)]


def read_dirs(dirs: Iterable[Path]) -> tuple[list[ParsedFile], list[Problem]]:
    """Parse every `*.yaml` / `*.yml` file in each directory, in order."""
    files: list[ParsedFile] = []
    problems: list[Problem] = []
    for directory in dirs:
        if not directory.is_dir():
            problems.append(Problem(display_path(directory), None, None, "directory not found"))
            continue
        files.extend(parse_bank_file(path) for path in bank_files(directory))
    return files, problems


def load_banks(dirs: Iterable[Path], depth: int | None = None) -> dict[str, Bank]:
    """Load every bank in each directory, in order; raise `BankError` if any file, directory or
    cross-file check fails, or (given `depth`) a bank has no prompts in a layer up to it."""
    files, problems = read_dirs(dirs)
    for parsed in files:
        problems.extend(parsed.problems)
        if depth is not None:
            problems.extend(depth_problems(parsed, depth))
    problems.extend(cross_bank_problems(files))
    if problems:
        raise BankError(problems)
    return {parsed.bank.name: parsed.bank for parsed in files if parsed.bank is not None}
