"""Answering an interaction in time, once what it asked for is committed.

Discord shows "This interaction failed" when an interaction's first response hasn't arrived
3 s after it was created, and forgets the interaction (10062). Rapport commits the command
first, so Discord is never told "received" for something a crash could lose, then responds
within what is left of `BUDGET`. discord.py would retry a 5xx or 429 on the callback for up to
~16 s (its webhook adapter sleeps 1 + 2n s per 5xx, and any retry_after), so the response is
cut off at the deadline. A response that failed or was cut off may still have reached Discord:
`GET …/messages/@original` tells. When Discord doesn't have it, the member is told by DM what
happened and how to retry (`tell_by_dm`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

log = logging.getLogger(__name__)

BUDGET = 2.5  # seconds from receipt for the first response; Discord allows 3 from creation
LATER_TIMEOUT = 10.0  # a follow-up, an edit or a DM after the response
ALREADY_ACKNOWLEDGED, UNKNOWN_INTERACTION = 40060, 10062
NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)
NO_MENTIONS = discord.AllowedMentions.none()


class Deadline:
    """The moment the first response must have been sent, counted from the handler's start."""

    def __init__(self, budget: float | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self.end = self._loop.time() + (BUDGET if budget is None else budget)

    def remaining(self) -> float:
        return max(0.0, self.end - self._loop.time())


async def first_response(
    interaction: discord.Interaction,
    deadline: Deadline,
    respond: Callable[[], Awaitable[Any]],
) -> bool:
    """Send the interaction's first response before the deadline; True if Discord has it."""
    try:
        async with asyncio.timeout(deadline.remaining()):
            await respond()
        return True
    except discord.InteractionResponded:
        return True
    except discord.HTTPException as err:
        if err.code == ALREADY_ACKNOWLEDGED:
            return True
        failure = f"HTTP {err.status}, code {err.code}"
        if err.code == UNKNOWN_INTERACTION:
            log.warning("interaction %s expired before its response", interaction.id)
            return False
    except NETWORK_ERRORS as err:
        failure = type(err).__name__
    log.warning("interaction %s: the response failed (%s)", interaction.id, failure)
    return await _has_response(interaction)


async def _has_response(interaction: discord.Interaction) -> bool:
    """Whether a response whose outcome is unknown reached Discord (its @original exists)."""
    try:
        async with asyncio.timeout(LATER_TIMEOUT):
            await interaction.original_response()
    except (discord.HTTPException, *NETWORK_ERRORS):
        return False
    return True


async def quietly(what: str, action: Awaitable[Any]) -> bool:
    """Run a call that follows the response (a follow-up, an edit), bounded; a platform
    failure is one WARNING line, never a traceback. False if it failed."""
    try:
        async with asyncio.timeout(LATER_TIMEOUT):
            await action
    except discord.HTTPException as err:
        log.warning("discord: %s failed (HTTP %s, code %s)", what, err.status, err.code)
        return False
    except NETWORK_ERRORS as err:
        log.warning("discord: %s failed (%s)", what, type(err).__name__)
        return False
    return True


async def tell_by_dm(
    user: discord.abc.User, text: str, embeds: list[discord.Embed] | None = None
) -> None:
    """When the interaction could not be answered: the member learns it in their DM."""
    await quietly(
        "telling a member by DM",
        user.send(text, embeds=embeds or [], allowed_mentions=NO_MENTIONS),
    )
