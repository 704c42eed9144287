"""A Discord round played with discord.py's loggers at DEBUG leaves no answer, DM text or token
in what Rapport's log handler wrote.

At DEBUG discord.py logs every gateway frame ("WebSocket Event: {...}", MESSAGE_CREATE with the
DM's text, INTERACTION_CREATE with the modal's answer and the interaction token) and every REST
request with its body ("POST .../messages with {...} has returned 200", reveals included).
"""

from __future__ import annotations

from tests.adapters.discord.conftest import BotStarter
from tests.adapters.discord.test_discord_rounds import running_round
from tests.adapters.logs import leaks, production_logs
from tests.fakes.discord import DiscordWorld, FakeDiscord
from tests.fakes.discord.rapport import embed_texts

MARKER = "saffron-narwhal"  # in every text a member typed
INTERACTION_TOKENS = "itoken-"  # the fake's interaction tokens all start so


async def test_a_round_at_debug_logs_no_answer_no_dm_and_no_token(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    alice, bob = discord_world.alice, discord_world.bob
    with production_logs("DEBUG", [fake_discord.token]) as output:
        bot = await start_bot()
        await running_round(bot, discord_world)
        prompt = bot.last(alice["id"], "prompt")
        await bot.answer_by_modal(alice, prompt, f"Alice's {MARKER} answer")  # modal submit
        await bot.dm(bob, f"Bob's {MARKER} answer")  # MESSAGE_CREATE in his DM
        await fake_discord.wait_until(lambda: "reveal" in bot.kinds(alice["id"]))
        await fake_discord.wait_until(lambda: "reveal" in bot.kinds(bob["id"]))

    reveal = bot.last(bob["id"], "reveal")
    assert any(MARKER in text for text in embed_texts(reveal))  # the answers did travel
    logged = output.getvalue()
    assert "WebSocket Event" in logged and "has returned 200" in logged  # DEBUG was on
    assert "/interactions/" in logged  # the interaction callbacks were logged
    assert leaks(logged, [MARKER, fake_discord.token, INTERACTION_TOKENS]) == []
