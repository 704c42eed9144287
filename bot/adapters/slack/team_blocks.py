"""Block Kit for what leads manage: the Team settings modal, the question form and review list.

Only layout lives here; what a setting means, which values it takes and what a change did come
from `bot.service.workspaces` and `bot.service.team_questions`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.adapters.slack.blocks import Block, context, escape, plain, section
from bot.engine.bank import LAYER_NAMES
from bot.i18n.translate import _, ngettext
from bot.messages.rounds import layer_name
from bot.service.team_questions import MAX_EXAMPLE_CHARS, Draft, TeamPrompt
from bot.service.workspaces import HistoryEntry, SettingView

SETTINGS_CALLBACK = "rapport_team_settings"
QUESTION_CALLBACK = "rapport_team_question"
SETTINGS_EDIT = "rapport_team_settings_edit"
QUESTION_APPROVE = "rapport_team_question_approve"
QUESTION_DECLINE = "rapport_team_question_decline"
VALUE = "value"
SETTING_BLOCK = "setting_{}"
LAYER_BLOCK, TOPIC_BLOCK, TEXT_BLOCK = "question_layer", "question_topic", "question_text"
EXAMPLE_BLOCK, SAFE_BLOCK = "question_example", "question_safe"
SAFE_OPTION = "hierarchy_safe"
MAX_PROMPT_CHARS = 180
MAX_REVIEW_SHOWN = 20


def _option(value: str, label: str | None = None) -> dict[str, Any]:
    return {"text": plain((label or value)[:75]), "value": value}


def _setting_input(view: SettingView) -> Block:
    spec = view.spec
    element: dict[str, Any]
    if spec.name == "leads":
        users = [u.strip("<@>") for u in view.value.split() if u.startswith("<@")]
        element = {"type": "multi_users_select", "action_id": VALUE, "initial_users": users}
    elif spec.choices:
        options = [_option(choice) for choice in spec.choices]
        element = {"type": "static_select", "action_id": VALUE, "options": options}
        if view.value in spec.choices:
            element["initial_option"] = _option(view.value)
    else:
        element = {
            "type": "plain_text_input",
            "action_id": VALUE,
            "initial_value": view.value,
            "max_length": 100,
        }
    return {
        "type": "input",
        "block_id": SETTING_BLOCK.format(spec.name),
        "label": plain(_(spec.label)),
        "hint": plain(_(spec.help)),
        "optional": spec.name == "leads",
        "element": element,
    }


def settings_modal(views: Sequence[SettingView]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": SETTINGS_CALLBACK,
        "title": plain(_("Team settings")),
        "submit": plain(_("Save")),
        "close": plain(_("Cancel")),
        "blocks": [
            context(_("New rounds use these settings; rounds already running keep theirs.")),
            *(_setting_input(view) for view in views),
        ],
    }


def submitted_settings(view: Mapping[str, Any]) -> dict[str, str]:
    """The modal's values by setting name, as a lead would type them."""
    values = view.get("state", {}).get("values", {})
    raw: dict[str, str] = {}
    for block_id, fields in values.items():
        if not block_id.startswith("setting_"):
            continue
        field = fields.get(VALUE, {})
        if "selected_users" in field:
            raw[block_id.removeprefix("setting_")] = " ".join(field["selected_users"]) or "none"
        elif field.get("selected_option"):
            raw[block_id.removeprefix("setting_")] = str(field["selected_option"]["value"])
        else:
            raw[block_id.removeprefix("setting_")] = str(field.get("value") or "")
    return raw


def settings_text(views: Sequence[SettingView], is_lead: bool) -> str:
    lines = [_("*Team settings*")]
    for view in views:
        marker = "" if view.customised else " _" + _("(default)") + "_"
        value = view.value if view.spec.name == "leads" else escape(view.value)
        lines.append(f"• {_(view.spec.label)}: *{value}*{marker}")
    if is_lead:
        lines.append(
            _("Change them with `/rapport settings` (a form) or `/rapport settings depth 4`.")
        )
    else:
        lines.append(_("Only team leads can change them."))
    return "\n".join(lines)


def settings_home_blocks(views: Sequence[SettingView]) -> list[Block]:
    """App Home, for leads: the current settings and an Edit button."""
    button = {
        "type": "button",
        "action_id": SETTINGS_EDIT,
        "text": plain(_("Edit settings")),
        "value": "edit",
    }
    return [
        section(settings_text(views, is_lead=True), "team_settings"),
        {"type": "actions", "block_id": "team_settings_actions", "elements": [button]},
    ]


def history_text(entries: Sequence[HistoryEntry]) -> str:
    if not entries:
        return _("No setting has been changed yet: everything follows the defaults.")
    lines = [_("*Settings history* (newest first)")]
    for entry in entries:
        when = f"{entry.at:%Y-%m-%d %H:%M} UTC"
        lines.append(
            f"• {when} <@{entry.actor.user_id}> {escape(entry.setting)}: "
            f"{escape(entry.old)} → {escape(entry.new)}"
        )
    return "\n".join(lines)


# --- questions ----------------------------------------------------------------------------------


def question_modal(mode: str, topics: Sequence[str]) -> dict[str, Any]:
    """The form to add (a lead) or suggest (a member) a question; `mode` rides in the metadata."""
    layers = [_option(str(n), f"{n} · {layer_name(n)}") for n in sorted(LAYER_NAMES)]
    hint = ", ".join(topics[:12]) if topics else _("a short word, like hobbies or work-style")
    safe = _option(SAFE_OPTION, _("Fine to ask between a manager and their report"))
    blocks: list[Block] = [
        context(
            _(
                "One open question, ending with '?': something anyone can answer with a small "
                "story. It's checked like the built-in questions."
            )
        ),
        {
            "type": "input",
            "block_id": LAYER_BLOCK,
            "label": plain(_("Layer")),
            "element": {
                "type": "static_select",
                "action_id": VALUE,
                "options": layers,
                "initial_option": layers[0],
            },
        },
        {
            "type": "input",
            "block_id": TOPIC_BLOCK,
            "label": plain(_("Topic")),
            "hint": plain(_("Topics so far: {hint}", hint=hint)),
            "element": {"type": "plain_text_input", "action_id": VALUE, "max_length": 40},
        },
        {
            "type": "input",
            "block_id": TEXT_BLOCK,
            "label": plain(_("Question")),
            "element": {
                "type": "plain_text_input",
                "action_id": VALUE,
                "max_length": MAX_PROMPT_CHARS,
            },
        },
        {
            "type": "input",
            "block_id": EXAMPLE_BLOCK,
            "label": plain(_("Example answer")),
            "hint": plain(_("Optional: a short sample answer members can ask to see.")),
            "optional": True,
            "element": {
                "type": "plain_text_input",
                "action_id": VALUE,
                "multiline": True,
                "max_length": MAX_EXAMPLE_CHARS,
            },
        },
        {
            "type": "input",
            "block_id": SAFE_BLOCK,
            "label": plain(_("Across a hierarchy")),
            "optional": True,
            "element": {
                "type": "checkboxes",
                "action_id": VALUE,
                "options": [safe],
                "initial_options": [safe],
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": QUESTION_CALLBACK,
        "title": plain(_("Suggest a question") if mode == "suggest" else _("Add a question")),
        "submit": plain(_("Send") if mode == "suggest" else _("Add")),
        "close": plain(_("Cancel")),
        "private_metadata": json.dumps({"mode": mode}),
        "blocks": blocks,
    }


def question_mode(view: Mapping[str, Any]) -> str | None:
    try:
        mode = json.loads(str(view.get("private_metadata", "")))["mode"]
    except (ValueError, KeyError, TypeError):
        return None
    return mode if mode in ("add", "suggest") else None


def submitted_question(view: Mapping[str, Any]) -> Draft:
    values = view.get("state", {}).get("values", {})

    def value(block: str) -> Any:
        return values.get(block, {}).get(VALUE, {})

    layer = str((value(LAYER_BLOCK).get("selected_option") or {}).get("value", "0"))
    checked = [o.get("value") for o in value(SAFE_BLOCK).get("selected_options") or []]
    return Draft(
        layer=int(layer) if layer.isdigit() else 0,
        topic=str(value(TOPIC_BLOCK).get("value") or "").strip().lower(),
        text=str(value(TEXT_BLOCK).get("value") or ""),
        hierarchy_safe=SAFE_OPTION in checked,
        example=str(value(EXAMPLE_BLOCK).get("value") or "") or None,
    )


def done_view(title: str, text: str) -> dict[str, Any]:
    """What a submitted form turns into: a short confirmation in the same modal."""
    return {
        "type": "modal",
        "title": plain(title[:24]),
        "close": plain(_("Done")),
        "blocks": [section(escape(text))],
    }


def questions_text(prompts: Sequence[TeamPrompt]) -> str:
    active = [t for t in prompts if t.status == "active"]
    pending = [t for t in prompts if t.status == "pending"]
    if not active and not pending:
        return _(
            "Your team has no questions of its own yet. Add one with `/rapport questions add`."
        )
    lines = [
        _(
            "*Your team's questions* ({active} in use, {pending} waiting for review)",
            active=len(active),
            pending=len(pending),
        )
    ]
    for team_prompt in active:
        prompt = team_prompt.prompt
        lines.append(
            _(
                "• `{id}` layer {layer} · {topic}: {text}",
                id=prompt.id,
                layer=prompt.layer,
                topic=escape(prompt.topic),
                text=escape(prompt.text),
            )
        )
    if pending:
        lines.append(_("Review suggestions with `/rapport questions review`."))
    return "\n".join(lines)


def review_blocks(pending: Sequence[TeamPrompt]) -> dict[str, Any]:
    if not pending:
        return {"text": _("No suggestions are waiting for review.")}
    blocks: list[Block] = [section(_("*Suggested questions* (who suggested them stays private)"))]
    for team_prompt in pending[:MAX_REVIEW_SHOWN]:
        prompt = team_prompt.prompt
        blocks.append(
            section(
                _(
                    "`{id}` layer {layer} · {topic}\n{text}",
                    id=prompt.id,
                    layer=prompt.layer,
                    topic=escape(prompt.topic),
                    text=escape(prompt.text),
                )
            )
        )
        blocks.append(
            {
                "type": "actions",
                "block_id": f"review_{prompt.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": QUESTION_APPROVE,
                        "text": plain(_("Add it")),
                        "style": "primary",
                        "value": prompt.id,
                    },
                    {
                        "type": "button",
                        "action_id": QUESTION_DECLINE,
                        "text": plain(_("Decline")),
                        "value": prompt.id,
                    },
                ],
            }
        )
    return {
        "text": ngettext(
            "{count} suggested question to review",
            "{count} suggested questions to review",
            len(pending),
        ),
        "blocks": blocks,
    }
