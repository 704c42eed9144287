"""Explicit HTTP timeouts for discord.py's REST session.

discord.py creates its aiohttp session in `HTTPClient.static_login` without a timeout, so
aiohttp's default applies: 300 s for a request whose server never answers. It takes no option
for it, so after login the session gets ours (no `total`: the gateway websocket is opened on
the same session and lives for hours; `sock_read` is switched off for websockets by aiohttp).
A test holds a request in the fake Discord and checks that this still takes effect, so a
discord.py upgrade that renames the session fails loudly instead of silently waiting 300 s.
"""

from __future__ import annotations

import aiohttp
import discord

REST_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10.0, sock_connect=10.0, sock_read=20.0)


def bound_rest_session(
    client: discord.Client, timeout: aiohttp.ClientTimeout = REST_TIMEOUT
) -> None:
    """Give the logged-in client's REST session (also used for interaction responses) these
    timeouts."""
    session = getattr(client.http, "_HTTPClient__session", None)
    if not isinstance(session, aiohttp.ClientSession):
        raise RuntimeError("discord.py's HTTP session was not found; update bound_rest_session")
    session._timeout = timeout  # aiohttp reads it for every request that names none
