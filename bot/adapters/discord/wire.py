"""Discord identities, custom ids and idempotency keys: the small vocabulary every module shares.

Buttons carry their round and step in the custom id (`rapport:answer:{round_id}:{step}`), so a
click works after a restart; whoever clicks is checked against the round by the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from bot.config import Settings
from bot.identity import Member
from bot.messages import Action

PLATFORM = "discord"
PREFIX = "rapport"
# Discord allows 100 characters in a custom id; round ids are short hex strings
ROUND_ID = r"[A-Za-z0-9_-]{1,64}"
BUTTON_ACTIONS = (
    Action.ACCEPT,
    Action.DECLINE,
    Action.ANSWER,
    Action.SWAP,
    Action.STAY,
    Action.LEAVE,
)
BUTTON_TEMPLATE = (
    rf"{PREFIX}:(?P<action>{'|'.join(a.value for a in BUTTON_ACTIONS)})"
    rf":(?P<round>{ROUND_ID}):(?P<step>\d{{1,6}})"
)
RATE_TEMPLATE = rf"{PREFIX}:{Action.RATE.value}:(?P<round>{ROUND_ID}):(?P<step>\d{{1,6}})"
MODAL_TEMPLATE = rf"{PREFIX}:modal:(?P<round>{ROUND_ID}):(?P<step>\d{{1,6}})"
ANSWER_INPUT_ID = "answer"


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


def is_lead(user: discord.abc.User, settings: Settings, permissions: discord.Permissions) -> bool:
    """Leads: Manage Server (or Administrator) or the configured lead role."""
    if permissions.manage_guild or permissions.administrator:
        return True
    role = (settings.discord_lead_role or "").strip()
    if not role or not isinstance(user, discord.Member):
        return False
    return any(str(r.id) == role or r.name == role for r in user.roles)
