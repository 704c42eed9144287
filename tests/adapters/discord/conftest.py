"""Fixtures: a fake Discord per test and a factory that connects real discord.py clients to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.discord import (
    ClientStarter,
    DiscordWorld,
    FakeDiscord,
    default_world,
    patch_discord_py,
)
from tests.fakes.discord.rapport import DiscordRapport, rapport_settings


@pytest.fixture
def discord_world() -> DiscordWorld:
    """One guild (#general) with Alice, Bob and Carol."""
    return default_world()


@pytest.fixture
async def fake_discord(discord_world: DiscordWorld) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord holding `discord_world`; fails the test on unknown routes."""
    async with FakeDiscord(guilds=[discord_world.guild], users=discord_world.users) as fake:
        yield fake
        assert not fake.server_errors, fake.server_errors
        unknown = [f"{r.method} {r.path}" for r in fake.unhandled]
        assert not unknown, f"client called routes the fake does not serve: {unknown}"


@pytest.fixture
async def discord_client(fake_discord: FakeDiscord) -> AsyncIterator[ClientStarter]:
    """`await discord_client()` or `await discord_client(my_client)` -> a ready, real client.

    discord.py's REST base and default gateway point at the fake for the whole test; every
    started client is closed (and its connect task awaited) before the fake stops.
    """
    starter = ClientStarter(fake_discord)
    with patch_discord_py(fake_discord):
        try:
            yield starter
        finally:
            await starter.close_all()


BotStarter = Callable[..., Awaitable[DiscordRapport]]


@pytest.fixture
async def start_bot(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotStarter]:
    """`await start_bot(**settings)` -> Rapport's core + DiscordRuntime connected to the fake.

    Settings go by their environment names (`RAPPORT_DISCORD_SHARDS="auto"`); stopped (runtime
    first, then the core) before the fake stops.
    """
    started: list[DiscordRapport] = []

    async def start(**extra: Any) -> DiscordRapport:
        settings = rapport_settings(fake_discord, tmp_path / f"rapport{len(started)}.db", **extra)
        bot = DiscordRapport(fake_discord, settings)
        started.append(bot)
        await bot.start()
        return bot

    yield start
    for bot in reversed(started):
        await bot.stop()
