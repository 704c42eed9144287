"""The Slack app manifest (`rapport slack manifest`), derived from what the adapter uses.

The tables below are the single source of truth: the bot events the listeners handle, the
slash command, and the scope every Web API method the adapter calls needs. A test checks them
against the listeners the app really registers and the methods it really calls.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.adapters.slack.wire import COMMAND
from bot.config import Settings
from bot.ops.startup_errors import missing_setting

# manifest bot event -> the Events API `event.type` a listener is registered for
BOT_EVENTS: dict[str, str] = {
    "message.im": "message",
    "app_home_opened": "app_home_opened",
    # the workspace removed Rapport or revoked its token: wind that workspace down
    "app_uninstalled": "app_uninstalled",
    "tokens_revoked": "tokens_revoked",
}
# the scope each subscribed event needs (None: none)
EVENT_SCOPES: dict[str, str | None] = {
    "message.im": "im:history",
    "app_home_opened": None,
    "app_uninstalled": None,
    "tokens_revoked": None,
}
# every Web API method the adapter calls with the bot token -> the bot scopes it needs
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "conversations.history": ("im:history",),  # did a delivery already reach a DM?
    # a scheduled session lists its channel: public (channels:read) or private (groups:read)
    "conversations.members": ("channels:read", "groups:read"),
    "conversations.open": ("im:write",),
    "files.completeUploadExternal": ("files:write",),  # /rapport export
    "files.getUploadURLExternal": ("files:write",),
    "users.info": ("users:read",),
    "users.list": ("users:read",),  # big channels: a page of users per call
    "views.open": (),
    "views.publish": (),
}
# called with the app-level token (Socket Mode), which needs `connections:write`
APP_TOKEN_METHODS: dict[str, str] = {"apps.connections.open": "connections:write"}
COMMAND_SCOPE = "commands"
COMMAND_DESCRIPTION = "Getting-to-know-you rounds: start, status, team settings, schedules, help"
COMMAND_USAGE = (
    "start @someone [daily] | status | stop | pause 2w | avoid @someone | export | forget-me "
    "| settings | questions suggest | schedule add #channel … | stats | help"
)
EVENTS_PATH = "/slack/events"
# "Add to Slack" (OAuth v2, SLACK_CLIENT_ID): the install page and Slack's redirect back
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def bot_scopes() -> list[str]:
    needed = {COMMAND_SCOPE}
    needed |= {s for scopes in METHOD_SCOPES.values() for s in scopes}
    needed |= {s for s in EVENT_SCOPES.values() if s}
    return sorted(needed)


def redirect_url(settings: Settings) -> str | None:
    """The OAuth redirect URL Slack sends installers back to, once RAPPORT_PUBLIC_URL is set."""
    return f"{settings.public_url}{REDIRECT_PATH}" if settings.public_url else None


def manifest(settings: Settings) -> dict[str, Any]:
    socket_mode = settings.slack_mode == "socket"
    if not socket_mode and not settings.public_url:
        # a placeholder URL would only fail later, at Slack's request URL verification
        raise missing_setting("RAPPORT_PUBLIC_URL", "The HTTP-mode manifest (Slack's request URL)")
    request_url = f"{settings.public_url}{EVENTS_PATH}"
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": COMMAND_DESCRIPTION,
        "usage_hint": COMMAND_USAGE,
        "should_escape": True,  # mentions arrive as <@U123|name>
    }
    events: dict[str, Any] = {"bot_events": sorted(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    oauth: dict[str, Any] = {"scopes": {"bot": bot_scopes()}}
    if redirect_url(settings):
        oauth["redirect_urls"] = [redirect_url(settings)]
    if not socket_mode:
        command["url"] = request_url
        events["request_url"] = request_url
        interactivity["request_url"] = request_url
    return {
        "display_information": {
            "name": "Rapport",
            "description": "Get to know your teammates, one prompt at a time.",
            "long_description": _LONG_DESCRIPTION,
            "background_color": "#3d3a63",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "Rapport", "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": oauth,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(settings: Settings) -> str:
    return yaml.safe_dump(manifest(settings), sort_keys=False, allow_unicode=True, width=100)


_LONG_DESCRIPTION = (
    "Rapport runs short getting-to-know-you rounds between two teammates. You both get the same "
    "prompt by direct message; your answer stays private until you have both answered, then you "
    "see each other's answers at the same moment. After a couple of prompts the round goes one "
    "layer deeper, from easy facts to what matters to you, never further than your team's cap. "
    "Swap a prompt you don't fancy, stay at the depth you like, or leave at any time."
)
