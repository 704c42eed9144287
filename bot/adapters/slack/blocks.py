"""Rendered messages -> Block Kit, with every piece of relayed text escaped.

`escape()` is the one place text becomes Slack mrkdwn: `&`, `<` and `>` are entity-encoded, so
`<!channel>`, `<!here>`, `<@U…>` or `<#C…>` typed by a member show up as text and never ping or
link. Member names are the only mrkdwn we produce ourselves: `render()` is given a `NameSlots`
whose placeholders are swapped for a mention (or a display name) after escaping.

Long text is split across sections of at most 3000 characters, at whitespace near the limit,
never inside a word's escape entity and never dropping a character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from bot.adapters.slack.wire import (
    ACTION_IDS,
    ACTIONS_BLOCK,
    ANSWER_BLOCK,
    ANSWER_CALLBACK,
    ANSWER_INPUT,
    FOLLOW_UP_BLOCK,
    FOLLOW_UP_CALLBACK,
    FOLLOW_UP_INPUT,
    RATING_BLOCK,
    ModalMeta,
    encode_target,
)
from bot.engine.model import MAX_ANSWER_CHARS, MAX_FOLLOW_UP_CHARS, RATING_RANGE
from bot.i18n import N_
from bot.i18n.translate import _
from bot.messages.model import Action, Button, Rendered
from bot.messages.rounds import (
    FOLLOW_UP_LABEL,
    FOLLOW_UP_PLACEHOLDER,
    FOLLOW_UP_PRIVATE,
    FOLLOW_UP_TITLE,
)

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
SPLIT_WINDOW = 400  # look this far back from the limit for whitespace to split at
MODAL_TITLE = N_("Your answer")
_SLOT = re.compile("\x00(\\d+)\x00")
_ENTITY_MAX = len("&amp;")


def escape(text: str) -> str:
    """Plain text -> mrkdwn that shows literally: no mentions, links or broadcasts."""
    cleaned = text.replace("\x00", "")
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack's entity-encoded message text -> what the member typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- names ----------------------------------------------------------------------------------


class NameSlots:
    """`name_of` for `bot.messages.deliveries.render`: a placeholder per member, filled after
    escaping."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def name_of(self, member_key: str) -> str:
        if member_key not in self.keys:
            self.keys.append(member_key)
        return f"\x00{self.keys.index(member_key)}\x00"

    def fill(self, text: str, names: Mapping[str, str]) -> str:
        """Escape `text` and put each member's mrkdwn name (already safe) in its slot."""
        parts = _SLOT.split(text)
        out = [
            names[self.keys[int(part)]] if index % 2 else escape(part)
            for index, part in enumerate(parts)
        ]
        return "".join(out)


# --- splitting ------------------------------------------------------------------------------


def split_text(text: str, limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Chunks of at most `limit` characters whose concatenation is exactly `text`."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = _cut_point(text, limit)
        chunks.append(text[:cut])
        text = text[cut:]
    chunks.append(text)
    return chunks


def _cut_point(text: str, limit: int) -> int:
    start = max(1, limit - SPLIT_WINDOW)
    spaces = [m.end() for m in re.finditer(r"\s+", text[start:limit])]
    if spaces:
        return start + spaces[-1]  # after the whitespace, which stays with the earlier chunk
    cut = limit
    amp = text.rfind("&", cut - _ENTITY_MAX + 1, cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp  # never split "&amp;" into "&am" + "p;"
    while cut > 1 and _joins_previous(text[cut]):
        cut -= 1  # keep combining marks and joiners with their base character
    return cut


def _joins_previous(char: str) -> bool:
    return bool(unicodedata.combining(char)) or char in "\u200d\ufe0e\ufe0f"


# --- building blocks ------------------------------------------------------------------------


def mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not auto-link names, channels or URLs in text we escaped
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "context", "elements": [mrkdwn(text)]}
    if block_id:
        block["block_id"] = block_id
    return block


def sections(text: str, block_id: str) -> list[Block]:
    """One section per chunk of (already escaped) `text`: `block_id`, `block_id_1`, …"""
    chunks = split_text(text)
    return [
        section(chunk, block_id if n == 0 else f"{block_id}_{n}") for n, chunk in enumerate(chunks)
    ]


def kind_block_id(kind: str) -> str:
    """The first block of every delivery names its kind (tests and support read it)."""
    return f"rapport_{kind}"


def kind_of(message: Mapping[str, Any]) -> str | None:
    """The delivery kind of a message Rapport posted (from its first block id)."""
    first = (message.get("blocks") or [{}])[0]
    block_id = str(first.get("block_id", ""))
    return block_id.removeprefix("rapport_") if block_id.startswith("rapport_") else None


def message(
    rendered: Rendered,
    *,
    kind: str,
    fill: Callable[[str], str],
    round_id: str | None,
    step: int | None,
) -> dict[str, Any]:
    """`chat.postMessage` arguments (text fallback + blocks) for one rendered delivery.

    `fill` escapes a rendered string and resolves its name slots.
    """
    title = fill(rendered.title)
    blocks = sections(f"*{title}*", kind_block_id(kind))
    if rendered.body:
        blocks += sections("\n".join(fill(p) for p in rendered.body), "body")
    for index, part in enumerate(rendered.sections):
        blocks.append(context(f"*{fill(part.heading)}*", f"name_{index}"))
        blocks += sections(escape(part.text), f"answer_{index}")
    if rendered.buttons and round_id:
        blocks.append(actions_block(rendered.buttons, encode_target(round_id, step)))
    if rendered.rating and round_id:
        blocks.append(rating_block(round_id))
    return {"text": title, "blocks": blocks}


def actions_block(buttons: Sequence[Button], value: str) -> Block:
    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK,
        "elements": [_button(b, value) for b in buttons],
    }


def _button(button: Button, value: str) -> Block:
    element: Block = {
        "type": "button",
        "action_id": ACTION_IDS[button.action],
        "text": plain(button.label),
        "value": value,
    }
    if button.style:
        element["style"] = button.style
    return element


def rating_block(round_id: str) -> Block:
    options = [{"text": plain(str(n)), "value": encode_target(round_id, n)} for n in RATING_RANGE]
    select = {
        "type": "static_select",
        "action_id": ACTION_IDS[Action.RATE],
        "placeholder": plain(_("Rate {low}–{high}", low=RATING_RANGE[0], high=RATING_RANGE[-1])),
        "options": options,
    }
    return {"type": "actions", "block_id": RATING_BLOCK, "elements": [select]}


# --- after a click --------------------------------------------------------------------------


def settled(
    blocks: Iterable[Mapping[str, Any]], note: str, keep: Callable[[str], bool] = lambda _: False
) -> list[Block]:
    """A clicked message's blocks with its controls replaced by `note` (controls in `keep` stay).

    A control that is gone cannot be pressed a second time.
    """
    out: list[Block] = []
    for block in blocks:
        if block.get("type") != "actions":
            out.append(dict(block))
            continue
        elements = [e for e in block.get("elements", []) if keep(str(e.get("action_id")))]
        if elements:
            out.append({**block, "elements": elements})
    out = [b for b in out if b.get("block_id") != "rapport_note"]
    out.append(context(note, "rapport_note"))
    return out


# --- the answer modal -----------------------------------------------------------------------


def answer_modal(prompt_text: str, meta: ModalMeta) -> dict[str, Any]:
    """The modal the Answer button opens: the prompt in full, then a 3000-character input."""
    element = {
        "type": "plain_text_input",
        "action_id": ANSWER_INPUT,
        "multiline": True,
        "min_length": 1,
        "max_length": MAX_ANSWER_CHARS,
        "placeholder": plain(_("Write as much or as little as you like")),
    }
    blocks: list[Block] = sections(f"*{escape(prompt_text)}*", "prompt")
    blocks.append(
        {
            "type": "input",
            "block_id": ANSWER_BLOCK,
            "label": plain(_("Your answer")),
            "element": element,
        }
    )
    blocks.append(
        context(_("Private until your partner has answered too. Then you'll both see both."))
    )
    return {
        "type": "modal",
        "callback_id": ANSWER_CALLBACK,
        "title": plain(_(MODAL_TITLE)),
        "submit": plain(_("Send")),
        "close": plain(_("Cancel")),
        "private_metadata": meta.encode(),
        "blocks": blocks,
    }


def follow_up_modal(prompt_text: str, meta: ModalMeta) -> dict[str, Any]:
    """The modal "Ask a follow-up" opens: the revealed prompt, then a 300-character input."""
    element = {
        "type": "plain_text_input",
        "action_id": FOLLOW_UP_INPUT,
        "multiline": True,
        "min_length": 1,
        "max_length": MAX_FOLLOW_UP_CHARS,
        "placeholder": plain(_(FOLLOW_UP_PLACEHOLDER)),
    }
    blocks: list[Block] = sections(f"*{escape(prompt_text)}*", "prompt") if prompt_text else []
    blocks.append(
        {
            "type": "input",
            "block_id": FOLLOW_UP_BLOCK,
            "label": plain(_(FOLLOW_UP_LABEL)),
            "element": element,
        }
    )
    blocks.append(context(_(FOLLOW_UP_PRIVATE)))
    return {
        "type": "modal",
        "callback_id": FOLLOW_UP_CALLBACK,
        "title": plain(_(FOLLOW_UP_TITLE)),
        "submit": plain(_("Send")),
        "close": plain(_("Cancel")),
        "private_metadata": meta.encode(),
        "blocks": blocks,
    }
