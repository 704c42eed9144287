"""Answers typed in a Discord DM while Rapport was down are applied once it is back, exactly
once, however often it restarts; what was handled live is not applied again."""

from __future__ import annotations

from tests.adapters.discord.conftest import BotStarter
from tests.adapters.discord.test_discord_rounds import member, running_round
from tests.fakes.discord import DiscordWorld, FakeDiscord
from tests.fakes.discord.rapport import DiscordRapport, embed_texts

GET_HISTORY = "GET /channels/{id}/messages"


async def back_up(bot: DiscordRapport) -> None:
    """Start the bot and wait until its catch-up pass after READY has finished."""
    await bot.start()
    assert bot.rt.catch_up is not None
    await bot.rt.catch_up.wait_passes(1)


async def answers(bot: DiscordRapport, round_id: str) -> dict[str, str]:
    state = await bot.core.service.load(round_id)
    assert state is not None and state.current is not None
    return {key: answer.text for key, answer in state.current.answers.items()}


async def test_a_dm_typed_while_offline_is_applied_after_restart_exactly_once(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob = discord_world.alice, discord_world.bob
    round_id = await running_round(bot, discord_world)
    await bot.stop()

    await fake_discord.user_writes(alice, "Mornings, before anyone is up.")  # nobody connected
    await fake_discord.user_writes(alice, "Also: tea.")  # a second thought is no answer
    await back_up(bot)
    await fake_discord.wait_until(lambda: "answer_held" in bot.kinds(alice["id"]))
    alice_key = member(discord_world, alice).key
    assert await answers(bot, round_id) == {alice_key: "Mornings, before anyone is up."}

    for _ in range(2):  # and again, twice: the same messages are still in the DM
        await bot.stop()
        await back_up(bot)
    assert bot.kinds(alice["id"]).count("answer_held") == 1
    assert await answers(bot, round_id) == {alice_key: "Mornings, before anyone is up."}

    await bot.dm(bob, "Tea, obviously.")
    await fake_discord.wait_until(lambda: "reveal" in bot.kinds(bob["id"]))
    reveal = bot.last(bob["id"], "reveal")
    assert sorted(embed_texts(reveal)[1:]) == ["Mornings, before anyone is up.", "Tea, obviously."]


async def test_a_dm_answered_live_is_not_applied_again_after_a_restart(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob = discord_world.alice, discord_world.bob
    round_id = await running_round(bot, discord_world)
    await bot.dm(alice, "Mornings.")
    await bot.dm(alice, "Oh, and evenings.")  # refused live: already answered
    await bot.stop()
    await back_up(bot)

    assert await answers(bot, round_id) == {member(discord_world, alice).key: "Mornings."}
    # only Bob waits: only his DM is read
    reads = fake_discord.requests_matching(GET_HISTORY)
    bob_dm = fake_discord.dm_channel_for(bob["id"])["id"]
    assert [r.path.split("/")[2] for r in reads] == [bob_dm]
    assert reads[0].query["after"] == bot.last(bob["id"], "prompt").id


async def test_each_waiting_member_is_read_once_and_nobody_else(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    await running_round(bot, discord_world)
    await bot.stop()
    await back_up(bot)
    reads = sorted(r.path.split("/")[2] for r in fake_discord.requests_matching(GET_HISTORY))
    people = (discord_world.alice, discord_world.bob)
    assert reads == sorted(fake_discord.dm_channel_for(u["id"])["id"] for u in people)
