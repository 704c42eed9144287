"""Answers typed in a DM while Rapport was down are applied after it (re)connects.

Discord replays nothing to a new gateway session, so a DM sent while no process was connected
(or while one died before committing it) never arrives as MESSAGE_CREATE. On READY, for every
member whose current prompt reached them unanswered, the DM's messages after that prompt are
read (`GET /channels/{id}/messages?after=`) and the member's first typed one is applied as a
DM answer. The message id is the event key, as for a live DM, so a message seen before, or
read again after a second restart, changes nothing. Refusals are not sent from here: a refused
message may well have been refused (and answered) while Rapport was up.

A RESUME needs none of this: Discord replays the missed events to a resumed session.
Reads go one member at a time per worker, a few workers, under a request rate that leaves
most of Discord's 50 requests/s to deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import discord
from aiolimiter import AsyncLimiter

from bot.adapters.discord import wire
from bot.adapters.discord.sender import NETWORK_ERRORS, DiscordSender
from bot.bootstrap import Rapport
from bot.service.waiting import WaitingAnswer, waiting_answers

log = logging.getLogger(__name__)

WORKERS = 4
READS_PER_SECOND = 10.0
PAGE = 100  # messages per read, Discord's maximum


class CatchUp:
    def __init__(self, rapport: Rapport, sender: DiscordSender) -> None:
        self.rapport = rapport
        self.sender = sender
        self.applied = 0  # answers found this way, since start
        self.passes = 0  # passes finished
        self._passed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._limiter = AsyncLimiter(READS_PER_SECOND, 1)

    def start(self, client: discord.Client) -> None:
        """Begin a pass in the background (the gateway keeps being served meanwhile)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(client), name="rapport-catch-up")

    async def wait_passes(self, count: int, timeout: float = 5.0) -> None:
        """Until `count` passes have finished (tests wait on this instead of sleeping)."""
        async with asyncio.timeout(timeout), self._passed:
            await self._passed.wait_for(lambda: self.passes >= count)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, client: discord.Client) -> None:
        try:
            await self._pass(client)
        finally:
            async with self._passed:
                self.passes += 1
                self._passed.notify_all()

    async def _pass(self, client: discord.Client) -> None:
        try:
            waiting = await waiting_answers(self.rapport.db, wire.PLATFORM)
        except Exception:
            log.exception("discord: could not list the members waiting to answer")
            return
        by_user: dict[str, list[WaitingAnswer]] = {}
        for item in waiting:
            by_user.setdefault(item.member.user_id, []).append(item)
        queue: asyncio.Queue[list[WaitingAnswer]] = asyncio.Queue()
        for items in by_user.values():
            queue.put_nowait(items)
        await asyncio.gather(*(self._worker(client, queue) for _ in range(WORKERS)))
        if waiting:
            log.info("discord: read %d DMs after a reconnect", len(by_user))

    async def _worker(
        self, client: discord.Client, queue: asyncio.Queue[list[WaitingAnswer]]
    ) -> None:
        while not queue.empty():
            items = queue.get_nowait()
            try:
                await self._catch_up(client, items)
            except (discord.DiscordException, *NETWORK_ERRORS) as err:
                log.warning("discord: reading a DM after a reconnect failed: %r", err)

    async def _catch_up(self, client: discord.Client, items: list[WaitingAnswer]) -> None:
        """Apply the first typed message after the earliest of the user's waiting prompts."""
        first = min(items, key=lambda i: int(i.prompt_message_id))
        channel_id = await self.sender.dm_channel(first.member, first.dm_channel_id)
        channel = client.get_partial_messageable(int(channel_id))
        async with self._limiter:
            typed = [
                m
                async for m in channel.history(
                    limit=PAGE,
                    after=discord.Object(int(first.prompt_message_id)),
                    oldest_first=True,
                )
                if m.author.id == int(first.member.user_id)
            ]
        await self._apply_first(typed)

    async def _apply_first(self, typed: Iterable[discord.Message]) -> None:
        for message in typed:
            if not message.content.strip():
                continue
            outcome = await self.rapport.service.answer_from_user_dm(
                wire.PLATFORM, str(message.author.id), message.content, wire.message_key(message)
            )
            if outcome.duplicate:
                continue  # seen while Rapport was up
            if outcome.ok:
                self.applied += 1
                log.info("discord: an answer typed while away was applied")
            return
