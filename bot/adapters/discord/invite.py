"""`rapport discord invite-url`: the OAuth2 URL that adds Rapport to a server.

Scopes `bot` (the bot user joins) and `applications.commands` (the /rapport commands), with the
smallest set of permissions Rapport uses. Everything else happens in DMs, which need no server
permission.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import discord
from rich.console import Console

from bot.config import Settings

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")
PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the channel a session pairs, and that its members can see it
    send_messages=True,  # post the session summary in that channel
    embed_links=True,  # the summary (like every Rapport message) is an embed
    read_message_history=True,  # read its earlier messages there (hidden without it)
    use_application_commands=True,  # /rapport in the server's channels
)


def invite_url(client_id: str | int) -> str:
    query = urlencode(
        {"client_id": str(client_id), "scope": " ".join(SCOPES), "permissions": PERMISSIONS.value}
    )
    return f"{AUTHORIZE_URL}?{query}"


async def fetch_client_id(settings: Settings) -> str:
    """The application id from `GET /oauth2/applications/@me` (honours DISCORD_API_URL)."""
    saved = discord.http.Route.BASE
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(settings.discord_token or "")  # fetches the application too
        return str(client.application_id)
    finally:
        await client.close()
        discord.http.Route.BASE = saved


def print_invite_url(settings: Settings, client_id: str | None, console: Console) -> int:
    client_id = client_id or settings.discord_client_id
    if not client_id and not settings.discord_token:
        console.print(
            "I need the application id: pass `--client-id` (Discord Developer Portal → your app "
            "→ General Information → Application ID), or set DISCORD_TOKEN so I can ask Discord.",
            markup=False,
        )
        return 2
    if not client_id:
        try:
            client_id = asyncio.run(fetch_client_id(settings))
        except discord.LoginFailure:
            console.print("Discord refused DISCORD_TOKEN; check the bot token.", markup=False)
            return 1
        except (discord.HTTPException, OSError) as err:
            console.print(f"I couldn't ask Discord for the application id: {err}", markup=False)
            return 1
    if not str(client_id).isdigit():
        console.print(f"'{client_id}' isn't an application id (a number).", markup=False)
        return 2
    console.print(invite_url(client_id), markup=False, highlight=False, soft_wrap=True)
    return 0
