"""A small default Discord world for tests: one guild, one text channel, three members."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.discord import payloads as p

GUILD_ID = 1_200_000_000_000_000_001
GENERAL_CHANNEL_ID = 1_200_000_000_000_000_101
ALICE_ID = 1_300_000_000_000_000_001
BOB_ID = 1_300_000_000_000_000_002
CAROL_ID = 1_300_000_000_000_000_003


@dataclass(frozen=True)
class DiscordWorld:
    """Payloads of the people and places a test talks about."""

    guild: p.Payload
    general: p.Payload
    alice: p.Payload
    bob: p.Payload
    carol: p.Payload

    @property
    def guild_id(self) -> int:
        return int(self.guild["id"])

    @property
    def users(self) -> tuple[p.Payload, ...]:
        return (self.alice, self.bob, self.carol)


def default_world() -> DiscordWorld:
    """Guild "Rapport Lab" with #general and members Alice (owner), Bob and Carol."""
    alice = p.user(ALICE_ID, "alice")
    bob = p.user(BOB_ID, "bob")
    carol = p.user(CAROL_ID, "carol")
    general = p.text_channel(GENERAL_CHANNEL_ID, GUILD_ID, "general")
    guild = p.guild(
        GUILD_ID,
        "Rapport Lab",
        owner_id=ALICE_ID,
        members=[p.member(u) for u in (alice, bob, carol)],
        channels=[general],
    )
    return DiscordWorld(guild=guild, general=general, alice=alice, bob=bob, carol=carol)
