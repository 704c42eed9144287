"""Discord identities, custom ids and idempotency keys: the small vocabulary every module shares.

Buttons carry their round and step in the custom id (`rapport:answer:{round_id}:{step}`), so a
click works after a restart; whoever clicks is checked against the round by the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from bot.identity import Member
from bot.messages.model import Action
from bot.service.workspaces import WorkspaceSettingsService

PLATFORM = "discord"
PREFIX = "rapport"
# Discord allows 100 characters in a custom id; round ids are short hex strings
ROUND_ID = r"[A-Za-z0-9_-]{1,64}"
BUTTON_ACTIONS = (
    Action.ACCEPT,
    Action.DECLINE,
    Action.ANSWER,
    Action.EXAMPLE,
    Action.SWAP,
    Action.STAY,
    Action.LEAVE,
    Action.FOLLOW_UP,
    Action.SKIP,
    Action.DEEPER,
    Action.HERE,
    Action.KEEP_GOING,
)
BUTTON_TEMPLATE = (
    rf"{PREFIX}:(?P<action>{'|'.join(a.value for a in BUTTON_ACTIONS)})"
    rf":(?P<round>{ROUND_ID}):(?P<step>\d{{1,6}})"
)
RATE_TEMPLATE = rf"{PREFIX}:{Action.RATE.value}:(?P<round>{ROUND_ID}):(?P<step>\d{{1,6}})"
MODAL_TEMPLATE = rf"{PREFIX}:modal:(?P<round>{ROUND_ID}):(?P<step>\d{{1,6}})"
FOLLOW_UP_MODAL_TEMPLATE = rf"{PREFIX}:ask:(?P<round>{ROUND_ID}):(?P<step>\d{{1,6}})"
ANSWER_INPUT_ID = "answer"
FOLLOW_UP_INPUT_ID = "question"


@dataclass(frozen=True)
class Target:
    """What a component or modal acts on: a round and (for prompts) the step shown."""

    round_id: str
    step: int


def custom_id(action: Action | str, target: Target) -> str:
    name = action.value if isinstance(action, Action) else action
    return f"{PREFIX}:{name}:{target.round_id}:{target.step}"


def modal_id(target: Target) -> str:
    return custom_id("modal", target)


def parse_modal_id(value: str) -> Target | None:
    match = re.fullmatch(MODAL_TEMPLATE, value)
    return Target(match["round"], int(match["step"])) if match else None


def follow_up_modal_id(target: Target) -> str:
    return custom_id("ask", target)


def parse_follow_up_modal_id(value: str) -> Target | None:
    match = re.fullmatch(FOLLOW_UP_MODAL_TEMPLATE, value)
    return Target(match["round"], int(match["step"])) if match else None


def member(guild_id: int | str, user_id: int | str) -> Member:
    return Member(PLATFORM, str(guild_id), str(user_id))


def member_in_workspace_of(round_member_key: str, user_id: int | str) -> Member:
    """The clicker as a member of the round's workspace (DM interactions carry no guild)."""
    return member(Member.from_key(round_member_key).workspace_id, user_id)


def user_id_of(member_key: str) -> int:
    return int(Member.from_key(member_key).user_id)


def interaction_key(interaction: discord.Interaction) -> str:
    """Dedupe key: a replayed INTERACTION_CREATE (gateway resume) changes nothing twice."""
    return f"{PLATFORM}:interaction:{interaction.id}"


def message_key(message: discord.Message) -> str:
    return f"{PLATFORM}:message:{message.id}"


async def is_lead(
    user: discord.abc.User,
    permissions: discord.Permissions,
    workspaces: WorkspaceSettingsService,
    guild_id: int | str,
) -> bool:
    """Leads: Manage Server (or Administrator), or the guild's `lead-role` setting (a role id
    or exact name; by default RAPPORT_DISCORD_LEAD_ROLE), looked up through the cached port."""
    if permissions.manage_guild or permissions.administrator:
        return True
    if not isinstance(user, discord.Member):
        return False
    settings = await workspaces.settings_of(f"{PLATFORM}:{guild_id}")
    role = (settings.lead_role or "").strip()
    return bool(role) and any(str(r.id) == role or r.name == role for r in user.roles)


def modal_value(data: Any, custom_id: str) -> str:
    """The value of the text input `custom_id` in a modal submission (inside a Label, or in a
    classic action row)."""
    stack = list((data or {}).get("components") or [])
    while stack:
        component = stack.pop(0)
        if component.get("custom_id") == custom_id:
            return str(component.get("value") or "")
        stack.extend(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            stack.append(component["component"])
    return ""


def shown_custom_ids(message: discord.Message | None) -> set[str]:
    """Every custom id on a message's components (rows, buttons, selects, nested layouts)."""
    found: set[str] = set()
    stack: list[Any] = list(message.components) if message is not None else []
    while stack:
        component = stack.pop()
        if getattr(component, "custom_id", None):
            found.add(component.custom_id)
        stack.extend(getattr(component, "children", None) or [])
    return found
