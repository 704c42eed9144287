"""Discord API v10 payload builders: the ONE place that knows the wire shapes.

Everything the fake server sends (REST bodies, gateway dispatches) and everything a test pushes
(MESSAGE_CREATE, INTERACTION_CREATE) is built here, so a change in what discord.py requires is fixed
once. Shapes follow discord.py 2.7's `discord/types/*` TypedDicts and the keys its parsers index
directly (e.g. `Interaction._from_data` needs `attachment_size_limit`, `Member` needs `flags` and
`roles`, `Guild.chunked` needs `member_count == len(members)`).

Ids are accepted as ints or strings and always emitted as strings, as Discord does.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]
Snowflake = int | str

DISCORD_EPOCH_MS = 1_420_070_400_000
APPLICATION_ID = 1_100_000_000_000_000_001
BOT_TOKEN = "fake-bot-token"
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
ALL_PERMISSIONS = str((1 << 51) - 1)

# Channel, interaction and component type numbers used below (Discord API v10).
GUILD_TEXT, DM = 0, 1
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CONTEXT_GUILD, CONTEXT_BOT_DM = 0, 1
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT, TEXT_DISPLAY, LABEL = 1, 2, 3, 4, 10, 18
SUB_COMMAND, SUB_COMMAND_GROUP, STRING_OPTION, INTEGER_OPTION, BOOLEAN_OPTION = 1, 2, 3, 4, 5
USER_OPTION, CHANNEL_OPTION = 6, 7

_last_snowflake = 0
_tokens = itertools.count(1)


def snowflake() -> int:
    """A new, strictly increasing snowflake whose timestamp part is now."""
    global _last_snowflake
    now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
    _last_snowflake = max(_last_snowflake + 1, now)
    return _last_snowflake


def timestamp(when: datetime | None = None) -> str:
    """ISO 8601 timestamp as Discord sends it."""
    return (when or datetime.now(UTC)).isoformat()


def _sid(value: Snowflake) -> str:
    return str(value)


# --- users, guilds, channels -------------------------------------------------------------------


def user(
    user_id: Snowflake, username: str, *, bot: bool = False, global_name: str | None = None
) -> Payload:
    """A user object."""
    return {
        "id": _sid(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name if global_name is not None else username.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


DEFAULT_BOT = user(APPLICATION_ID, "rapport", bot=True, global_name="Rapport")


def member(
    user_payload: Payload,
    *,
    roles: Iterable[Snowflake] = (),
    nick: str | None = None,
    permissions: str | None = None,
    with_user: bool = True,
) -> Payload:
    """A guild member; `with_user=False` gives the shape of `resolved.members` / MESSAGE_CREATE."""
    data: Payload = {
        "roles": [_sid(r) for r in roles],
        "nick": nick,
        "avatar": None,
        "joined_at": timestamp(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        data["permissions"] = permissions
    if with_user:
        data["user"] = user_payload
    return data


def role(role_id: Snowflake, name: str, *, permissions: str = "0", position: int = 0) -> Payload:
    """A role; the @everyone role has the guild's id."""
    return {
        "id": _sid(role_id),
        "name": name,
        "permissions": permissions,
        "position": position,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(
    channel_id: Snowflake, guild_id: Snowflake, name: str, *, position: int = 0
) -> Payload:
    """A guild text channel."""
    return {
        "id": _sid(channel_id),
        "type": GUILD_TEXT,
        "guild_id": _sid(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
    }


def dm_channel(channel_id: Snowflake, recipient: Payload) -> Payload:
    """A DM channel with one recipient (what `POST /users/@me/channels` returns)."""
    return {
        "id": _sid(channel_id),
        "type": DM,
        "last_message_id": None,
        "flags": 0,
        "recipients": [recipient],
    }


def guild(
    guild_id: Snowflake,
    name: str,
    *,
    owner_id: Snowflake,
    members: Sequence[Payload] = (),
    channels: Sequence[Payload] = (),
    roles: Sequence[Payload] = (),
) -> Payload:
    """A GUILD_CREATE payload; `member_count` matches `members` so discord.py needs no chunking."""
    everyone = role(guild_id, "@everyone", permissions="1071698660929")
    return {
        "id": _sid(guild_id),
        "name": name,
        "icon": None,
        "owner_id": _sid(owner_id),
        "unavailable": False,
        "large": False,
        "member_count": len(members),
        "joined_at": timestamp(),
        "features": [],
        "preferred_locale": "en-US",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "system_channel_flags": 0,
        "roles": [everyone, *roles],
        "emojis": [],
        "stickers": [],
        "members": list(members),
        "channels": list(channels),
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def application(app_id: Snowflake, owner: Payload, *, name: str = "Rapport") -> Payload:
    """`GET /oauth2/applications/@me` (login calls it)."""
    return {
        "id": _sid(app_id),
        "name": name,
        "description": "Getting-to-know-you rounds",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "interactions_endpoint_url": None,
        "redirect_uris": [],
    }


def ready(
    bot: Payload,
    *,
    guild_ids: Iterable[Snowflake],
    session_id: str,
    resume_gateway_url: str,
    application_id: Snowflake,
) -> Payload:
    """READY: guilds arrive unavailable; each is followed by its GUILD_CREATE."""
    return {
        "v": 10,
        "user": {**bot, "verified": True, "mfa_enabled": False},
        "guilds": [{"id": _sid(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "resume_gateway_url": resume_gateway_url,
        "session_type": "normal",
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "application": {"id": _sid(application_id), "flags": 0},
        "shard": [0, 1],
    }


def error(code: int, message: str) -> Payload:
    """A JSON error body, e.g. `error(50007, "Cannot send messages to this user")`."""
    return {"code": code, "message": message}


CANNOT_SEND_TO_USER = error(50007, "Cannot send messages to this user")
OPENING_DMS_TOO_FAST = error(40003, "You are opening direct messages too fast.")


# --- messages ----------------------------------------------------------------------------------


def message(
    channel_id: Snowflake,
    author: Payload,
    content: str = "",
    *,
    message_id: Snowflake | None = None,
    guild_id: Snowflake | None = None,
    author_member: Payload | None = None,
    embeds: Sequence[Payload] = (),
    components: Sequence[Payload] = (),
    attachments: Sequence[Payload] = (),
    flags: int = 0,
) -> Payload:
    """A message object; with `guild_id` it is a guild message (add `author_member`)."""
    data: Payload = {
        "id": _sid(message_id if message_id is not None else snowflake()),
        "type": 0,
        "channel_id": _sid(channel_id),
        "author": author,
        "content": content,
        "timestamp": timestamp(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": list(components),
        "pinned": False,
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = _sid(guild_id)
        if author_member is not None:
            data["member"] = {k: v for k, v in author_member.items() if k != "user"}
    return data


def dm_message(channel: Payload, author: Payload, content: str) -> Payload:
    """MESSAGE_CREATE for a user writing in their DM with the bot (`channel` from the fake)."""
    return message(channel["id"], author, content)


def guild_message(channel: Payload, author: Payload, content: str) -> Payload:
    """MESSAGE_CREATE for a message in a guild text channel."""
    author_member = member(author)
    return message(
        channel["id"], author, content, guild_id=channel["guild_id"], author_member=author_member
    )


def attachment(attachment_id: Snowflake, filename: str, size: int, content_type: str) -> Payload:
    """An attachment object as Discord returns it after an upload."""
    url = f"https://cdn.discordapp.com/attachments/0/{attachment_id}/{filename}"
    return {
        "id": _sid(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
    }


# --- components --------------------------------------------------------------------------------


def action_row(*components: Payload) -> Payload:
    """An action row holding buttons or one select."""
    return {"type": ACTION_ROW, "components": list(components)}


def button(custom_id: str, label: str = "Go", *, style: int = 1) -> Payload:
    """An interactive button."""
    return {"type": BUTTON, "custom_id": custom_id, "label": label, "style": style}


def string_select_menu(custom_id: str, options: Sequence[str]) -> Payload:
    """A string select whose option labels equal their values."""
    return {
        "type": STRING_SELECT,
        "custom_id": custom_id,
        "options": [{"label": o, "value": o} for o in options],
        "min_values": 1,
        "max_values": len(options) or 1,
    }


# --- interactions ------------------------------------------------------------------------------


def _interaction(
    kind: int,
    data: Payload,
    *,
    user: Payload,
    channel: Payload,
    application_id: Snowflake,
    message: Payload | None = None,
    permissions: str = ALL_PERMISSIONS,
) -> Payload:
    """The INTERACTION_CREATE envelope: DM when `channel` is a DM, else a guild interaction
    whose member has `permissions` (what `app_commands.checks.has_permissions` inspects)."""
    interaction_id = snowflake()
    body: Payload = {
        "id": _sid(interaction_id),
        "application_id": _sid(application_id),
        "type": kind,
        "data": data,
        "token": f"itoken-{interaction_id}-{next(_tokens)}",
        "version": 1,
        "channel_id": channel["id"],
        "channel": channel,
        "app_permissions": ALL_PERMISSIONS,
        # the user's Discord language (a test user may carry one; Discord's default otherwise)
        "locale": user.get("locale", "en-US"),
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    guild_id = channel.get("guild_id")
    if guild_id is None:
        body |= {"user": user, "context": CONTEXT_BOT_DM}
        body["authorizing_integration_owners"] = {"0": "0"}
    else:
        body |= {"guild_id": guild_id, "guild_locale": "en-US", "context": CONTEXT_GUILD}
        body["guild"] = {"id": guild_id, "locale": "en-US", "features": []}
        body["member"] = member(user, permissions=permissions)
        body["authorizing_integration_owners"] = {"0": guild_id}
    if message is not None:
        body["message"] = message
    return body


def user_option(name: str, user_id: Snowflake) -> Payload:
    """A USER option value (pair it with `resolved(...)`)."""
    return {"name": name, "type": USER_OPTION, "value": _sid(user_id)}


def string_option(name: str, value: str) -> Payload:
    """A STRING option value."""
    return {"name": name, "type": STRING_OPTION, "value": value}


def integer_option(name: str, value: int) -> Payload:
    """An INTEGER option value."""
    return {"name": name, "type": INTEGER_OPTION, "value": value}


def boolean_option(name: str, value: bool) -> Payload:
    """A BOOLEAN option value."""
    return {"name": name, "type": BOOLEAN_OPTION, "value": value}


def subcommand(name: str, options: Sequence[Payload] = ()) -> Payload:
    """A SUB_COMMAND option, e.g. `start` in `/rapport start`."""
    return {"name": name, "type": SUB_COMMAND, "options": list(options)}


def subcommand_group(name: str, subcommands: Sequence[Payload]) -> Payload:
    """A SUB_COMMAND_GROUP option, e.g. `schedule` in `/rapport schedule add`."""
    return {"name": name, "type": SUB_COMMAND_GROUP, "options": list(subcommands)}


def channel_option(name: str, channel_id: Snowflake) -> Payload:
    """A CHANNEL option value (pair it with `resolved(channels=...)`)."""
    return {"name": name, "type": CHANNEL_OPTION, "value": _sid(channel_id)}


def resolved(
    users: Sequence[Payload] = (),
    *,
    guild_members: bool = False,
    channels: Sequence[Payload] = (),
) -> Payload:
    """`data.resolved` for user and channel options; with `guild_members` each user is also a
    guild member. Resolved channels carry the invoking member's `permissions` there."""
    data: Payload = {"users": {u["id"]: u for u in users}}
    if guild_members:
        data["members"] = {
            u["id"]: member(u, permissions=ALL_PERMISSIONS, with_user=False) for u in users
        }
    if channels:
        data["channels"] = {c["id"]: {**c, "permissions": ALL_PERMISSIONS} for c in channels}
    return data


def slash_command(
    name: str,
    *,
    user: Payload,
    channel: Payload,
    options: Sequence[Payload] = (),
    resolved_data: Payload | None = None,
    command_id: Snowflake | None = None,
    command_guild_id: Snowflake | None = None,
    member_permissions: str = ALL_PERMISSIONS,
    application_id: Snowflake = APPLICATION_ID,
) -> Payload:
    """INTERACTION_CREATE for a chat-input command; set `command_guild_id` for guild commands
    (the id discord.py's CommandTree uses to look the command up) and `member_permissions` to
    act as a member without e.g. Manage Server (`"0"`)."""
    data: Payload = {
        "id": _sid(command_id if command_id is not None else snowflake()),
        "name": name,
        "type": 1,
        "options": list(options),
    }
    if resolved_data is not None:
        data["resolved"] = resolved_data
    if command_guild_id is not None:
        data["guild_id"] = _sid(command_guild_id)
    return _interaction(
        APPLICATION_COMMAND,
        data,
        user=user,
        channel=channel,
        application_id=application_id,
        permissions=member_permissions,
    )


def _component_message(channel: Payload, component: Payload, author: Payload) -> Payload:
    """The message a component sits on; discord.py's DynamicItem rebuilds its view from it."""
    return message(
        channel["id"], author, "", guild_id=channel.get("guild_id"), components=[component]
    )


def button_click(
    custom_id: str,
    *,
    user: Payload,
    channel: Payload,
    message_payload: Payload | None = None,
    application_id: Snowflake = APPLICATION_ID,
    permissions: str = ALL_PERMISSIONS,
) -> Payload:
    """INTERACTION_CREATE for a button click; by default on a bot message holding that button.
    In a guild the clicker has `permissions` there (`"0"`: no Manage Server)."""
    msg = message_payload or _component_message(channel, action_row(button(custom_id)), DEFAULT_BOT)
    data = {"custom_id": custom_id, "component_type": BUTTON}
    return _interaction(
        MESSAGE_COMPONENT,
        data,
        user=user,
        channel=channel,
        message=msg,
        application_id=application_id,
        permissions=permissions,
    )


def select_choice(
    custom_id: str,
    values: Sequence[str],
    *,
    user: Payload,
    channel: Payload,
    message_payload: Payload | None = None,
    application_id: Snowflake = APPLICATION_ID,
    permissions: str = ALL_PERMISSIONS,
) -> Payload:
    """INTERACTION_CREATE for a string-select choice of `values` (see `button_click`)."""
    msg = message_payload or _component_message(
        channel, action_row(string_select_menu(custom_id, values)), DEFAULT_BOT
    )
    data = {"custom_id": custom_id, "component_type": STRING_SELECT, "values": list(values)}
    return _interaction(
        MESSAGE_COMPONENT,
        data,
        user=user,
        channel=channel,
        message=msg,
        application_id=application_id,
        permissions=permissions,
    )


def text_input_row(custom_id: str, value: str) -> Payload:
    """A submitted classic text input (an action row around it)."""
    return action_row({"type": TEXT_INPUT, "custom_id": custom_id, "value": value})


def label_text_input(custom_id: str, value: str) -> Payload:
    """A submitted text input wrapped in a Label (discord.py 2.6+ `ui.Label`)."""
    return {
        "type": LABEL,
        "component": {"type": TEXT_INPUT, "custom_id": custom_id, "value": value},
    }


Answers = Mapping[str, str | Sequence[str]]


def _answer(component: Payload, values: Answers) -> Payload:
    kind = component["type"]
    if kind == ACTION_ROW:
        return action_row(*(_answer(c, values) for c in component["components"]))
    if kind == LABEL:
        return {"type": LABEL, "component": _answer(component["component"], values)}
    custom_id = component.get("custom_id")
    answer = values.get(custom_id or "")
    if kind == TEXT_INPUT:
        return {"type": kind, "custom_id": custom_id, "value": answer or ""}
    if kind == STRING_SELECT:
        chosen = [answer] if isinstance(answer, str) else list(answer or [])
        return {"type": kind, "custom_id": custom_id, "values": chosen}
    return {"type": kind, **({"id": component["id"]} if "id" in component else {})}


def modal_answers(modal: Payload, values: Answers) -> list[Payload]:
    """Submitted components mirroring a recorded modal (callback type 9 `data`).

    `values` maps custom_id -> text (text inputs) or chosen values (selects); text displays are
    echoed as `{"type": 10}` and ignored by discord.py.
    """
    return [_answer(c, values) for c in modal["components"]]


def modal_submit(
    custom_id: str,
    components: Sequence[Payload],
    *,
    user: Payload,
    channel: Payload,
    message_payload: Payload | None = None,
    application_id: Snowflake = APPLICATION_ID,
    permissions: str = ALL_PERMISSIONS,
) -> Payload:
    """INTERACTION_CREATE for a modal submit (see `modal_answers`, `label_text_input`).

    Pass `message_payload` when the modal was opened from a component: Discord then includes
    the message, and a deferred update edits it."""
    data = {"custom_id": custom_id, "components": list(components)}
    return _interaction(
        MODAL_SUBMIT,
        data,
        user=user,
        channel=channel,
        message=message_payload,
        application_id=application_id,
        permissions=permissions,
    )


# --- REST responses ----------------------------------------------------------------------------


def interaction_callback_response(
    interaction_id: Snowflake,
    interaction_type: int,
    callback_type: int,
    message_payload: Payload | None,
) -> Payload:
    """`POST /interactions/{id}/{token}/callback?with_response=1` body."""
    body: Payload = {
        "interaction": {
            "id": _sid(interaction_id),
            "type": interaction_type,
            "response_message_loading": callback_type == 5,
            "response_message_ephemeral": bool(
                message_payload and message_payload.get("flags", 0) & 64
            ),
        }
    }
    if message_payload is not None:
        body["interaction"]["response_message_id"] = message_payload["id"]
        body["resource"] = {"type": callback_type, "message": message_payload}
    return body


def application_command(
    body: Payload, *, application_id: Snowflake, guild_id: Snowflake | None
) -> Payload:
    """A registered command as `PUT .../commands` echoes it back (with ids and version)."""
    data: Payload = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        **body,
        "id": _sid(snowflake()),
        "application_id": _sid(application_id),
        "version": _sid(snowflake()),
    }
    if guild_id is not None:
        data["guild_id"] = _sid(guild_id)
    return data


def gateway_bot(url: str) -> Payload:
    """`GET /gateway/bot`."""
    limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    return {"url": url, "shards": 1, "session_start_limit": limit}


def members_chunk(guild_id: Snowflake, members: Sequence[Payload], nonce: str | None) -> Payload:
    """GUILD_MEMBERS_CHUNK answering a REQUEST_GUILD_MEMBERS (op 8) in one chunk."""
    data: Payload = {
        "guild_id": _sid(guild_id),
        "members": list(members),
        "chunk_index": 0,
        "chunk_count": 1,
        "not_found": [],
    }
    if nonce is not None:
        data["nonce"] = nonce
    return data
