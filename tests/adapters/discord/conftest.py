"""Fixtures: a fake Discord per test and a factory that connects real discord.py clients to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.discord import (
    ClientStarter,
    DiscordWorld,
    FakeDiscord,
    default_world,
    patch_discord_py,
)


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
