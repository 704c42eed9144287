"""Durable before acknowledged on Discord: a click, a form or a command is committed before
Discord is told anything, and the response stays within the interaction's 3 seconds even when
the callback gets a 429 or a 5xx; when Discord didn't take it, the member learns by DM."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.adapters.discord import replies
from bot.engine.model import RoundStatus
from tests.adapters.discord.conftest import BotStarter
from tests.adapters.discord.test_discord_rounds import invite, member, running_round
from tests.fakes.discord import DiscordWorld, FakeDiscord
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import DiscordRapport, embed_texts, kind_of

CALLBACK = "POST /interactions/{iid}/{token}/callback"
BUDGET = 0.3  # the response budget in these tests (Discord's 3 s, scaled down)


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch, fake_discord: FakeDiscord) -> None:
    monkeypatch.setattr(replies, "BUDGET", BUDGET)
    fake_discord.interaction_ttl = BUDGET + 0.2


def crash_after_commit(bot: DiscordRapport, fake: FakeDiscord) -> list[bool]:
    """The process dies right after the commit: the handler stops there. Returns, per crash,
    whether Discord had already been answered at that moment."""
    answered: list[bool] = []

    async def die(interaction: object) -> None:
        answered.append(bool(fake.interaction_callbacks(getattr(interaction, "id", 0))))
        raise asyncio.CancelledError  # nothing after this point runs, as in a SIGKILL

    bot.rt.client.rapport_components.after_commit = die  # type: ignore[union-attr]
    return answered


async def test_a_crash_between_commit_and_response_loses_no_answer(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob = discord_world.alice, discord_world.bob
    round_id = await running_round(bot, discord_world)
    answered = crash_after_commit(bot, fake_discord)

    _, submit = await bot.answer_by_modal(alice, bot.last(alice["id"], "prompt"), "Mornings.")
    assert answered == [False]  # Discord hadn't been told "received" before the commit
    assert fake_discord.interaction_callbacks(submit["id"]) == []  # and never was

    await bot.restart()
    state = await bot.core.service.load(round_id)
    assert state is not None and state.current is not None
    assert member(discord_world, alice).key in state.current.answers  # the answer survived
    await bot.dm(bob, "Tea.")
    bot.clock.advance(timedelta(seconds=5))  # a send cut off by the restart is due again
    bot.core.dispatcher.wake()
    for user in (alice, bob):
        await fake_discord.wait_until(lambda u=user: "reveal" in bot.kinds(u["id"]))
        reveal = bot.last(user["id"], "reveal")
        assert sorted(embed_texts(reveal)[1:]) == ["Mornings.", "Tea."]


async def test_a_crash_before_the_commit_leaves_the_interaction_unanswered_and_retryable(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    bob = discord_world.bob
    round_id = await invite(bot, discord_world)
    invitation = bot.last(bob["id"], "invitation")
    bot.core.service.act = _dies  # type: ignore[method-assign]  # the process dies mid-commit

    click = await bot.click(bob, invitation, "accept")
    assert fake_discord.interaction_callbacks(click["id"]) == []  # nothing was acknowledged

    await bot.restart()
    state = await bot.core.service.load(round_id)
    assert state is not None and state.status is RoundStatus.INVITED
    again = await bot.click(bob, invitation, "accept")  # Bob sees it failed and clicks again
    assert fake_discord.interaction_callbacks(again["id"])
    await bot.wait_dms(bob["id"], 2)
    assert bot.kinds(bob["id"]) == ["invitation", "prompt"]


async def _dies(*args: object, **kwargs: object) -> None:
    raise asyncio.CancelledError


async def test_a_rate_limited_callback_is_cut_at_the_deadline_and_the_click_still_lands(
    start_bot: BotStarter,
    fake_discord: FakeDiscord,
    discord_world: DiscordWorld,
    short_deadline: None,
) -> None:
    bot = await start_bot()
    bob = discord_world.bob
    await invite(bot, discord_world)
    invitation = bot.last(bob["id"], "invitation")
    # discord.py would sleep 5 s and retry: far past the interaction's life
    fake_discord.rate_limit_next(CALLBACK, retry_after=5.0)

    loop = asyncio.get_running_loop()
    began = loop.time()
    click = await bot.click(bob, invitation, "accept")
    assert loop.time() - began < fake_discord.interaction_ttl + 0.5
    tried = [r.status for r in fake_discord.requests_matching(CALLBACK) if click["id"] in r.path]
    assert tried == [429]  # not retried after the interaction's deadline
    assert fake_discord.interaction_callbacks(click["id"]) == []
    # the invitation is settled directly and the round goes on
    settled = fake_discord._find_message(invitation.id)
    assert settled is not None and settled.content == "✓ Accepted." and settled.components == []
    await bot.wait_dms(bob["id"], 2)
    assert bot.kinds(bob["id"]) == ["invitation", "prompt"]


async def test_a_callback_stored_but_unanswered_is_recognised_not_repeated(
    start_bot: BotStarter,
    fake_discord: FakeDiscord,
    discord_world: DiscordWorld,
    short_deadline: None,
) -> None:
    bot = await start_bot()
    bob = discord_world.bob
    await invite(bot, discord_world)
    invitation = bot.last(bob["id"], "invitation")
    fake_discord.hold_next(CALLBACK)  # Discord takes the defer, the answer never comes back

    click = await bot.click(bob, invitation, "accept")
    fake_discord.release_held()
    assert len(fake_discord.interaction_callbacks(click["id"])) == 1
    settled = fake_discord._find_message(invitation.id)
    assert settled is not None and settled.content == "✓ Accepted."
    await bot.wait_dms(bob["id"], 2)
    assert [kind_of(m) for m in bot.dms(bob["id"])] == ["invitation", "prompt"]


async def test_a_refusal_discord_would_not_take_in_time_comes_by_dm(
    start_bot: BotStarter,
    fake_discord: FakeDiscord,
    discord_world: DiscordWorld,
    short_deadline: None,
) -> None:
    bot = await start_bot()
    carol = discord_world.carol
    round_id = await invite(bot, discord_world)
    fake_discord.rate_limit_next(CALLBACK, retry_after=5.0)
    dm = fake_discord.dm_channel_for(carol["id"])
    await bot.push(p.button_click(f"rapport:accept:{round_id}:0", user=carol, channel=dm))
    [told] = bot.dms(carol["id"])
    assert told.content == "That round belongs to other people, so nothing changed."


async def test_an_answer_form_that_could_not_open_in_time_says_how_to_answer(
    start_bot: BotStarter,
    fake_discord: FakeDiscord,
    discord_world: DiscordWorld,
    short_deadline: None,
) -> None:
    bot = await start_bot()
    alice = discord_world.alice
    await running_round(bot, discord_world)
    fake_discord.fail_next(CALLBACK, 503, times=3)  # retried inside discord.py: 1 s, 3 s...
    await bot.click(alice, bot.last(alice["id"], "prompt"), "answer")
    told = bot.dms(alice["id"])[-1]
    assert "Press Answer again, or simply reply here" in told.content


async def test_a_command_whose_response_failed_sends_its_reply_by_dm(
    start_bot: BotStarter,
    fake_discord: FakeDiscord,
    discord_world: DiscordWorld,
    short_deadline: None,
) -> None:
    bot = await start_bot()
    alice = discord_world.alice
    fake_discord.rate_limit_next(CALLBACK, retry_after=5.0)
    await bot.command(alice, discord_world.general, "optout")
    profile = await bot.core.members.profile(member(discord_world, alice))
    assert profile.opted_out  # committed although Discord never got the response
    [told] = bot.dms(alice["id"])
    assert told.content.startswith("About your `/rapport optout`:")


async def test_changing_commands_commit_before_they_answer_in_one_response(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice = discord_world.alice
    seen: list[bool] = []
    original = bot.core.members.set_opted_out

    async def watched(*args: object, **kwargs: object) -> object:
        result = await original(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(bool(fake_discord.callbacks))
        return result

    bot.core.members.set_opted_out = watched  # type: ignore[method-assign]
    optout = await bot.command(alice, discord_world.general, "optout")
    assert seen == [False]  # committed while Discord had no response yet
    [callback] = fake_discord.interaction_callbacks(optout["id"])
    assert callback.type == 4 and callback.ephemeral
