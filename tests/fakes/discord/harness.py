"""Start real discord.py clients against a FakeDiscord and close them cleanly."""

from __future__ import annotations

import asyncio
from typing import TypeVar, overload

import discord

from tests.fakes.discord.server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)
GUILD_READY_TIMEOUT = 0.1  # discord.py waits this long after the last GUILD_CREATE (default 2 s)


def default_intents() -> discord.Intents:
    """What Rapport needs: guilds, DMs, guild messages, members and message content."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return intents


def new_client() -> discord.Client:
    """A plain client with Rapport's intents and the short guild-ready timeout."""
    return discord.Client(intents=default_intents(), guild_ready_timeout=GUILD_READY_TIMEOUT)


class ClientStarter:
    """Logs clients into the fake, waits for READY, and closes every one of them at `close_all`."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.started: list[tuple[discord.Client, asyncio.Task[None]]] = []

    @overload
    async def __call__(self, client: None = None, *, timeout: float = 5.0) -> discord.Client: ...

    @overload
    async def __call__(self, client: ClientT, *, timeout: float = 5.0) -> ClientT: ...

    async def __call__(
        self, client: discord.Client | None = None, *, timeout: float = 5.0
    ) -> discord.Client:
        """Log in (`/users/@me`, `/oauth2/applications/@me`), connect, wait until ready.

        Build your own client with `guild_ready_timeout=GUILD_READY_TIMEOUT` or start-up takes 2 s.
        """
        client = client or new_client()
        await client.login(self.fake.token)
        task = asyncio.create_task(client.connect(reconnect=True), name="discord-connect")
        self.started.append((client, task))
        await _wait_ready(client, task, timeout)
        return client

    async def close_all(self, timeout: float = 5.0) -> None:
        """Let running handlers finish, close clients newest first, re-raise connect errors.

        A handler still awaiting a REST response when its session closes would log an ERROR,
        so in-flight discord.py handler tasks get up to `timeout` seconds to complete first.
        """
        await drain_handlers(timeout)
        while self.started:
            client, task = self.started.pop()
            await client.close()
            await asyncio.wait_for(task, timeout)


HANDLER_TASK_PREFIXES = (
    "discord.py: ",
    "discord-ui-view-dispatch",
    "discord-ui-modal-dispatch",
    "discord-ui-dynamic-item",
    "CommandTree-invoker",
)


async def drain_handlers(timeout: float) -> None:
    """Wait for discord.py's event, view, modal, dynamic-item and app-command tasks to finish."""
    current = asyncio.current_task()
    pending = [
        t
        for t in asyncio.all_tasks()
        if t is not current and not t.done() and t.get_name().startswith(HANDLER_TASK_PREFIXES)
    ]
    if pending:
        await asyncio.wait(pending, timeout=timeout)


async def _wait_ready(client: discord.Client, task: asyncio.Task[None], timeout: float) -> None:
    ready = asyncio.ensure_future(client.wait_until_ready())
    done, _ = await asyncio.wait(
        {ready, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if ready in done:
        return
    ready.cancel()
    if task in done:
        task.result()  # raises the connection error, if any
        raise RuntimeError("client.connect() returned before the client became ready")
    raise TimeoutError(f"discord client not ready within {timeout}s")
