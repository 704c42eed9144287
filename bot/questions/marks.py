"""Read a bank file's YAML together with the line of every header key, prompt and prompt field.

PyYAML's `compose` keeps a start mark on every node; constructing the document from the composed
node tree gives the data and the lines in one pass, so every prompt-level problem can be reported
as `file:line`. Lines are 1-based, as editors show them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml


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


@dataclass(frozen=True)
class LineMap:
    """Where things are in one file: header keys, each prompt entry and each of its fields."""

    header: dict[str, int] = field(default_factory=dict)
    prompts: list[int] = field(default_factory=list)
    fields: list[dict[str, int]] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # prompt id -> index of its first entry

    def of_header(self, key: str | None) -> int | None:
        return self.header.get(key) if key is not None else None

    def of_prompt(self, index: int, key: str | None = None) -> int | None:
        """The line of a prompt's field (its first line when the field is absent)."""
        if not 0 <= index < len(self.prompts):
            return None
        here = self.fields[index].get(key) if key is not None else None
        return here or self.prompts[index]

    def of_prompt_id(self, prompt_id: str, key: str | None = None) -> int | None:
        index = self.ids.get(prompt_id)
        return None if index is None else self.of_prompt(index, key)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _keys(node: yaml.MappingNode) -> dict[str, int]:
    return {str(k.value): _line(k) for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def line_map(root: yaml.Node | None) -> LineMap:
    """Lines of the header keys and of each prompt under `prompts:` (empty when not a mapping)."""
    if not isinstance(root, yaml.MappingNode):
        return LineMap()
    header = _keys(root)
    prompts_node = next(
        (v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "prompts"),
        None,
    )
    result = LineMap(header=header)
    if not isinstance(prompts_node, yaml.SequenceNode):
        return result
    for index, item in enumerate(prompts_node.value):
        result.prompts.append(_line(item))
        keys = _keys(item) if isinstance(item, yaml.MappingNode) else {}
        result.fields.append(keys)
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                if getattr(key, "value", None) == "id" and isinstance(value, yaml.ScalarNode):
                    result.ids.setdefault(str(value.value), index)
    return result


def load_with_lines(text: str) -> tuple[Any, LineMap]:
    """The document's data and its line map; raises `yaml.YAMLError` for invalid YAML."""
    loader = _UniqueKeyLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    return data, line_map(root)


def _runaway_quote(text: str, before_line: int) -> yaml.Mark | None:
    """The start of the last quoted value that spans lines and ends by `before_line`.

    A quote left open swallows the lines after it up to the next quote character, so the parser
    only trips some lines later; that quoted value is what the author has to fix."""
    last: yaml.Mark | None = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.line > before_line:
                break
            is_quoted = isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
            spans = token.end_mark.line > token.start_mark.line if is_quoted else False
            if spans and token.end_mark.line >= before_line - 1:
                last = token.start_mark
    except yaml.YAMLError:
        pass  # the tokens before the error are all we need
    return last


def yaml_error_message(exc: yaml.YAMLError, text: str = "") -> tuple[int | None, str]:
    """(line, message) naming where a YAML mistake starts: an unclosed quote at its opening
    line, not at the line where the parser finally gave up."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return None, f"invalid YAML: {exc}"
    start, found = exc.context_mark, exc.problem_mark
    if start is not None and (exc.context or "").startswith("while scanning"):
        message = f"invalid YAML at line {start.line + 1}, column {start.column + 1}: {exc.context}"
        if exc.problem and found is not None:
            message += f", then {exc.problem} at line {found.line + 1}"
        return start.line + 1, message
    mark = found or start
    if mark is None:
        return None, f"invalid YAML: {exc.problem or exc.context}"
    quote = _runaway_quote(text, mark.line) if text else None
    if quote is not None:
        return quote.line + 1, (
            f"invalid YAML at line {quote.line + 1}, column {quote.column + 1}: this quoted value "
            f"runs on to line {mark.line + 1}; is its closing quote missing?"
        )
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    return mark.line + 1, f"invalid YAML at {where}: {exc.problem or exc.context}"
