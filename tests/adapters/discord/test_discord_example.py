""""See an example" on a Discord prompt: only the member who asked sees the prompt's example."""

from __future__ import annotations

from bot.messages.rounds import EXAMPLE_INTRO
from tests.adapters.discord.conftest import BotStarter
from tests.adapters.discord.test_discord_rounds import running_round
from tests.fakes.discord import DiscordWorld, FakeDiscord

EPHEMERAL = 64


async def test_see_an_example_answers_only_the_clicker_and_changes_nothing(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    round_id = await running_round(bot, discord_world)
    alice = discord_world.alice
    before = await bot.core.service.load(round_id)
    prompt = bot.last(alice["id"], "prompt")

    click = await bot.click(alice, prompt, "example")

    [callback] = fake_discord.interaction_callbacks(click["id"])
    assert callback.data is not None and callback.data["flags"] & EPHEMERAL
    shown = str(callback.data["content"])
    assert before is not None and before.current is not None
    bank = bot.core.banks[before.settings.bank]
    example = bank.get(before.current.prompt_id).example  # type: ignore[union-attr]
    assert example and shown == EXAMPLE_INTRO.format(example=example)
    assert await bot.core.service.load(round_id) == before  # nothing changed
    assert bot.last(alice["id"], "prompt").id == prompt.id  # the prompt keeps its buttons
