"""Rapport's Slack vocabulary: action ids, button values, modal metadata and idempotency keys.

Everything that travels through Slack and comes back (a button's value, a modal's
private_metadata) is encoded and decoded here, so handlers and Block Kit agree on one format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.identity import Member
from bot.messages.model import Action

PLATFORM = "slack"
COMMAND = "/rapport"
ANSWER_CALLBACK = "rapport_answer"
ANSWER_BLOCK = "rapport_answer_block"
ANSWER_INPUT = "rapport_answer_input"
FOLLOW_UP_CALLBACK = "rapport_follow_up"
FOLLOW_UP_BLOCK = "rapport_follow_up_block"
FOLLOW_UP_INPUT = "rapport_follow_up_input"
ACTIONS_BLOCK = "rapport_actions"
RATING_BLOCK = "rapport_rating"

ACTION_IDS: dict[Action, str] = {action: f"rapport_{action.value}" for action in Action}
ACTION_BY_ID: dict[str, Action] = {action_id: action for action, action_id in ACTION_IDS.items()}
# /rapport forget-me asks first: these two buttons are on the ephemeral question
FORGET_CONFIRM = "rapport_forget_confirm"
FORGET_CANCEL = "rapport_forget_cancel"
# App Home, for leads: one button per schedule and action; the value is the schedule id
SCHEDULE_ACTIONS: dict[str, str] = {
    f"rapport_schedule_{action}": action for action in ("pause", "resume", "remove")
}


def member(team_id: str, user_id: str) -> Member:
    return Member(PLATFORM, team_id, user_id)


def user_id_of(member_key: str) -> str:
    return Member.from_key(member_key).user_id


def mention(member_key: str) -> str:
    """A Slack user mention for a member key (`<@U…>`)."""
    return f"<@{user_id_of(member_key)}>"


# --- button and select values ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a button or select points at: a round, and a step or a rating when it has one."""

    round_id: str
    number: int | None = None


def encode_target(round_id: str, number: int | None) -> str:
    return f"{round_id}:{'' if number is None else number}"


def decode_target(value: str) -> Target | None:
    round_id, _, number = value.partition(":")
    if not round_id:
        return None
    if not number:
        return Target(round_id)
    return Target(round_id, int(number)) if number.isdigit() else None


# --- the answer modal -----------------------------------------------------------------------


@dataclass(frozen=True)
class ModalMeta:
    """private_metadata of the answer and follow-up modals: the round, its step (the revealed
    one, for a follow-up) and the DM channel of the message the form was opened from."""

    round_id: str
    step: int
    channel_id: str

    def encode(self) -> str:
        return json.dumps({"r": self.round_id, "s": self.step, "c": self.channel_id})

    @classmethod
    def decode(cls, raw: str) -> ModalMeta | None:
        try:
            data = json.loads(raw)
            return cls(str(data["r"]), int(data["s"]), str(data["c"]))
        except (ValueError, KeyError, TypeError):
            return None


# --- idempotency keys -----------------------------------------------------------------------


def event_key(body: Mapping[str, Any]) -> str:
    """Events API: Slack keeps `event_id` across its retries."""
    return f"slack:evt:{body['event_id']}"


def command_key(command: Mapping[str, Any]) -> str:
    """A slash command invocation: its trigger id is unique and replayed with the envelope."""
    return f"slack:cmd:{command['trigger_id']}"


def click_key(body: Mapping[str, Any], action: Mapping[str, Any]) -> str:
    """One member's press of one control on one message.

    Deliberately without `action_ts`: a replayed envelope and a double click are the same press,
    so the second is a duplicate. A refused press is not recorded, so pressing again still works.
    """
    container = body.get("container") or {}
    value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    return ":".join(
        (
            "slack:act",
            str(container.get("channel_id", "")),
            str(container.get("message_ts", "")),
            str(action.get("action_id", "")),
            str(value),
            str(body["user"]["id"]),
        )
    )


def view_key(view: Mapping[str, Any]) -> str:
    """A modal is submitted successfully once; its view id is stable across replays."""
    return f"slack:view:{view['id']}"


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace of an interaction, command or event payload."""
    team = body.get("team")
    if isinstance(team, Mapping) and team.get("id"):
        return str(team["id"])
    if body.get("team_id"):
        return str(body["team_id"])
    return str((body.get("user") or {}).get("team_id", ""))


def reader_of(arguments: Mapping[str, Any]) -> Member | None:
    """The member a listener answers (its replies are in their language)."""
    if command := arguments.get("command"):
        return member(team_of(command), str(command["user_id"]))
    body = arguments.get("body") or {}
    event = arguments.get("event") or body.get("event") or {}
    user = event.get("user") or (body.get("user") or {}).get("id")
    return member(team_of(body), str(user)) if isinstance(user, str) else None
