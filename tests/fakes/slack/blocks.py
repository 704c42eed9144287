"""Block Kit checks the fake applies where Slack would reject a payload.

Only the limits an adapter can realistically break are checked (lengths, counts, required
fields, block counts per surface). Each problem is reported the way Slack words it in
`response_metadata.messages`: `[ERROR] <what> [json-pointer:/path]`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
SECTION_TEXT_MAX = 3000
SECTION_FIELD_MAX = 2000
SECTION_MAX_FIELDS = 10
HEADER_TEXT_MAX = 150
BLOCK_ID_MAX = 255
ACTION_ID_MAX = 255
CONTEXT_MAX_ELEMENTS = 10
ACTIONS_MAX_ELEMENTS = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
SELECT_MAX_OPTIONS = 100
INPUT_LABEL_MAX = 2000
PLAIN_TEXT_INPUT_MAX = 3000
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255

KNOWN_BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "header",
        "context",
        "actions",
        "input",
        "image",
        "rich_text",
        "markdown",
        "video",
        "file",
        "table",
    }
)
VIEW_TYPES = frozenset({"modal", "home"})


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _too_many(limit: int, pointer: str) -> str:
    return f"no more than {limit} items allowed [json-pointer:{pointer}]"


def _missing(pointer: str) -> str:
    return f"missing required field [json-pointer:{pointer}]"


def check_text(obj: Any, pointer: str, limit: int, *, plain_only: bool = False) -> Iterator[str]:
    """A text object: `{type: plain_text|mrkdwn, text: 1..limit chars}`."""
    if not isinstance(obj, Mapping):
        yield _missing(pointer)
        return
    allowed = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if obj.get("type") not in allowed:
        yield f"must be one of {sorted(allowed)} [json-pointer:{pointer}/type]"
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        yield f"must be more than 0 characters [json-pointer:{pointer}/text]"
    elif len(text) > limit:
        yield _too_long(limit, f"{pointer}/text")


def _check_id(block: Mapping[str, Any], key: str, limit: int, pointer: str) -> Iterator[str]:
    value = block.get(key)
    if value is not None and len(str(value)) > limit:
        yield _too_long(limit, f"{pointer}/{key}")


def _check_options(options: Any, pointer: str) -> Iterator[str]:
    if not isinstance(options, list) or not options:
        yield _missing(pointer)
        return
    if len(options) > SELECT_MAX_OPTIONS:
        yield _too_many(SELECT_MAX_OPTIONS, pointer)
    for i, option in enumerate(options):
        yield from check_text(option.get("text"), f"{pointer}/{i}/text", OPTION_TEXT_MAX)
        if len(str(option.get("value", ""))) > OPTION_VALUE_MAX:
            yield _too_long(OPTION_VALUE_MAX, f"{pointer}/{i}/value")


def check_element(element: Any, pointer: str) -> Iterator[str]:
    """Interactive elements the bot uses: buttons, selects, plain-text inputs."""
    if not isinstance(element, Mapping):
        yield _missing(pointer)
        return
    yield from _check_id(element, "action_id", ACTION_ID_MAX, pointer)
    kind = element.get("type")
    if kind == "button":
        yield from check_text(
            element.get("text"), f"{pointer}/text", BUTTON_TEXT_MAX, plain_only=True
        )
        if len(str(element.get("value", ""))) > BUTTON_VALUE_MAX:
            yield _too_long(BUTTON_VALUE_MAX, f"{pointer}/value")
        if element.get("style") not in (None, "primary", "danger"):
            yield f"must be one of ['danger', 'primary'] [json-pointer:{pointer}/style]"
    elif kind == "static_select":
        if "option_groups" not in element:
            yield from _check_options(element.get("options"), f"{pointer}/options")
    elif kind == "plain_text_input":
        for key in ("max_length", "min_length"):
            value = element.get(key)
            if value is not None and not 0 <= int(value) <= PLAIN_TEXT_INPUT_MAX:
                yield f"must be at most {PLAIN_TEXT_INPUT_MAX} [json-pointer:{pointer}/{key}]"
        initial = element.get("initial_value")
        if initial is not None and len(str(initial)) > PLAIN_TEXT_INPUT_MAX:
            yield _too_long(PLAIN_TEXT_INPUT_MAX, f"{pointer}/initial_value")


def _check_section(block: Mapping[str, Any], pointer: str) -> Iterator[str]:
    fields = block.get("fields")
    if "text" not in block and not fields:
        yield _missing(f"{pointer}/text")
    if "text" in block:
        yield from check_text(block["text"], f"{pointer}/text", SECTION_TEXT_MAX)
    if fields:
        if len(fields) > SECTION_MAX_FIELDS:
            yield _too_many(SECTION_MAX_FIELDS, f"{pointer}/fields")
        for i, field in enumerate(fields):
            yield from check_text(field, f"{pointer}/fields/{i}", SECTION_FIELD_MAX)
    if "accessory" in block:
        yield from check_element(block["accessory"], f"{pointer}/accessory")


def _check_elements(block: Mapping[str, Any], pointer: str, limit: int) -> Iterator[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        yield _missing(f"{pointer}/elements")
        return
    if len(elements) > limit:
        yield _too_many(limit, f"{pointer}/elements")
    if block.get("type") == "actions":
        for i, element in enumerate(elements):
            yield from check_element(element, f"{pointer}/elements/{i}")


def check_block(block: Any, pointer: str) -> Iterator[str]:
    """One layout block (any surface)."""
    if not isinstance(block, Mapping) or block.get("type") not in KNOWN_BLOCK_TYPES:
        yield f"failed to match all allowed schemas [json-pointer:{pointer}]"
        return
    yield from _check_id(block, "block_id", BLOCK_ID_MAX, pointer)
    kind = block["type"]
    if kind == "section":
        yield from _check_section(block, pointer)
    elif kind == "header":
        yield from check_text(
            block.get("text"), f"{pointer}/text", HEADER_TEXT_MAX, plain_only=True
        )
    elif kind == "context":
        yield from _check_elements(block, pointer, CONTEXT_MAX_ELEMENTS)
    elif kind == "actions":
        yield from _check_elements(block, pointer, ACTIONS_MAX_ELEMENTS)
    elif kind == "input":
        yield from check_text(
            block.get("label"), f"{pointer}/label", INPUT_LABEL_MAX, plain_only=True
        )
        yield from check_element(block.get("element"), f"{pointer}/element")


def check_blocks(blocks: Any, surface: str, pointer: str = "/blocks") -> list[str]:
    """All problems in a block list; an empty list means Slack would accept it."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    limit = MESSAGE_MAX_BLOCKS if surface == "message" else VIEW_MAX_BLOCKS
    errors = [_too_many(limit, pointer)] if len(blocks) > limit else []
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        errors.extend(check_block(block, f"{pointer}/{i}"))
        block_id = block.get("block_id") if isinstance(block, Mapping) else None
        if block_id is not None and block_id in seen:
            errors.append(f"duplicate block_id [json-pointer:{pointer}/{i}/block_id]")
        if block_id is not None:
            seen.add(block_id)
    return errors


def check_view(view: Any) -> list[str]:
    """A modal or Home tab view as passed to views.open/update/push/publish."""
    if not isinstance(view, Mapping):
        return ["must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in VIEW_TYPES:
        return ["must be one of ['home', 'modal'] [json-pointer:/view/type]"]
    errors = check_blocks(view.get("blocks"), kind, "/view/blocks")
    if kind == "modal":
        errors.extend(check_text(view.get("title"), "/view/title", VIEW_TITLE_MAX, plain_only=True))
        for key in ("submit", "close"):
            if key in view:
                errors.extend(
                    check_text(view[key], f"/view/{key}", VIEW_BUTTON_MAX, plain_only=True)
                )
        has_input = any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_input and "submit" not in view:
            errors.append(
                "submit is required when an input block is present [json-pointer:/view/submit]"
            )
    errors.extend(_check_id(view, "callback_id", CALLBACK_ID_MAX, "/view"))
    errors.extend(_check_id(view, "private_metadata", PRIVATE_METADATA_MAX, "/view"))
    errors.extend(_check_id(view, "external_id", CALLBACK_ID_MAX, "/view"))
    return errors
