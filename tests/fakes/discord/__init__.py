"""Fake Discord (REST + gateway) for driving the real discord.py client in tests."""

from tests.fakes.discord.harness import ClientStarter, default_intents, new_client
from tests.fakes.discord.server import (
    FakeDiscord,
    InteractionCallback,
    RecordedRequest,
    SentMessage,
    UploadedFile,
    patch_discord_py,
)
from tests.fakes.discord.world import DiscordWorld, default_world

__all__ = [
    "ClientStarter",
    "DiscordWorld",
    "FakeDiscord",
    "InteractionCallback",
    "RecordedRequest",
    "SentMessage",
    "UploadedFile",
    "default_intents",
    "default_world",
    "new_client",
    "patch_discord_py",
]
