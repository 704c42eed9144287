"""Ambiguous Discord posts: a message Discord stored whose answer was lost is never posted twice,
whether the retry comes within Discord's nonce window or after it (the DM's history), and a
storm of 5xx, 429 and dropped connections still gives every member every message once."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import aiohttp
import pytest

from bot.adapters.discord.timeouts import REST_TIMEOUT, bound_rest_session
from bot.engine.model import DeliveryKind
from bot.identity import Member
from bot.service.outbox import RetryPolicy
from bot.service.ports import MaybeSentError, OutgoingMessage
from tests.adapters.discord.conftest import BotStarter
from tests.adapters.discord.test_discord_rounds import running_round
from tests.fakes.discord import DiscordWorld, FakeDiscord
from tests.fakes.discord.faults import DROP
from tests.fakes.discord.rapport import kind_of

POST = "POST /channels/{id}/messages"


def reveal_to(world: DiscordWorld, user_id: str, *, long: bool = False) -> OutgoingMessage:
    """A reveal for `user_id`; `long` answers make it three messages."""
    text = "x" * 3000 if long else "Tea."
    answers = [{"member": f"discord:{world.guild_id}:{user_id}", "text": text}] * (5 if long else 1)
    return OutgoingMessage(
        outbox_id=4242,
        member=Member("discord", str(world.guild_id), user_id),
        kind=DeliveryKind.REVEAL,
        data={"answers": answers, "prompt_text": "Coffee or tea?", "round_id": "r1", "step": 1},
        round_id="r1",
        dm_channel_id=None,
    )


def again(message: OutgoingMessage) -> OutgoingMessage:
    return OutgoingMessage(**{**message.__dict__, "maybe_sent": True})


@pytest.mark.parametrize("lost", [DROP, 503])
async def test_a_post_stored_but_unanswered_is_found_in_the_dm_not_posted_again(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld, lost: int
) -> None:
    bot = await start_bot()
    bob = discord_world.bob["id"]
    fake_discord.nonce_window = 0.0  # past Discord's nonce window: only the history can tell
    fake_discord.lose_response_next(POST, lost)
    message = reveal_to(discord_world, bob)
    with pytest.raises(MaybeSentError):
        await bot.rt.sender.send(message)
    stored = bot.dms(bob)
    assert stored, "the fake stored the post whose answer was lost"

    posts_before = len(fake_discord.requests_matching(POST))
    message_id = await bot.rt.sender.send(again(message))
    assert len(fake_discord.requests_matching(POST)) == posts_before  # no new post
    assert [m.id for m in bot.dms(bob)] == [message_id] == [stored[0].id]
    assert stored[0].embeds[-1]["footer"]["text"].startswith("Rapport · ref ")


async def test_within_the_nonce_window_a_repeated_post_returns_the_stored_message(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    bob = discord_world.bob["id"]
    fake_discord.lose_response_next(POST, DROP)
    message = reveal_to(discord_world, bob)
    with pytest.raises(MaybeSentError):
        await bot.rt.sender.send(message)
    message_id = await bot.rt.sender.send(message)  # a blind retry, as a running outbox did
    [only] = bot.dms(bob)
    assert message_id == only.id
    assert len(fake_discord.requests_matching(POST)) == 2


async def test_the_nonce_window_ends_and_only_then_a_blind_repost_doubles(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    """The fake is faithful: dedupe only within the window (so the history check matters)."""
    bot = await start_bot()
    bob = discord_world.bob["id"]
    fake_discord.nonce_window = 0.0
    fake_discord.lose_response_next(POST, DROP)
    message = reveal_to(discord_world, bob)
    with pytest.raises(MaybeSentError):
        await bot.rt.sender.send(message)
    await bot.rt.sender.send(message)
    assert len(bot.dms(bob)) == 2


async def test_after_a_crash_a_long_delivery_posts_only_its_missing_parts(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    bob = discord_world.bob["id"]
    fake_discord.nonce_window = 0.0
    message = reveal_to(discord_world, bob, long=True)
    fake_discord.lose_response_next(POST, DROP)  # the first of five parts is stored, unanswered
    with pytest.raises(MaybeSentError):
        await bot.rt.sender.send(message)
    await bot.restart()  # a new process remembers nothing of the parts it posted
    await bot.rt.sender.send(again(message))

    parts = [m.embeds[-1]["footer"]["text"][-2:] for m in bot.dms(bob)]
    assert parts == [".0", ".1", ".2", ".3", ".4"]
    assert len(fake_discord.requests_matching(POST)) == 5


async def test_a_storm_of_server_errors_gives_every_message_exactly_once(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot(RAPPORT_DISCORD_INVITE_WAIT=0.2)
    bot.core.dispatcher.policy = RetryPolicy(max_attempts=50, base_seconds=0.0)
    chaos = fake_discord.set_chaos(
        [POST, "POST /users/@me/channels"],
        server_errors=0.3,
        rate_limits=0.1,
        drops=0.2,
        statuses=(503,),  # discord.py retries 500/502/504 after real sleeps; 503 at once
        retry_after=0.01,
        seed=7,
    )
    await running_round(bot, discord_world)
    alice, bob = discord_world.alice, discord_world.bob
    for user, text in ((alice, "Mornings."), (bob, "Tea.")):
        await bot.dm(user, text)
    want = {alice["id"]: 5, bob["id"]: 4}  # + answer held (Alice), reveal and next prompt
    for _ in range(40):
        bot.core.dispatcher.wake()
        with contextlib.suppress(TimeoutError):
            await fake_discord.wait_until(
                lambda: all(len(bot.dms(u)) >= n for u, n in want.items()), timeout=0.5
            )
            break
    for user_id, count in want.items():
        kinds = Counter(kind_of(m) for m in bot.dms(user_id))
        assert sum(kinds.values()) == count, kinds
        assert all(n == 1 for k, n in kinds.items() if k != "prompt"), kinds
    assert chaos.injected.get("dropped") and chaos.injected.get("5xx_stored"), chaos.injected


async def test_a_held_post_times_out_as_maybe_sent_instead_of_blocking_for_minutes(
    start_bot: BotStarter,
    fake_discord: FakeDiscord,
    discord_world: DiscordWorld,
) -> None:
    """discord.py's session keeps aiohttp's 300 s default unless Rapport bounds it."""
    bot = await start_bot()
    session = bot.rt.client.http._HTTPClient__session  # type: ignore[union-attr]
    assert session.timeout == REST_TIMEOUT  # what `rapport run` sets after login
    bound_rest_session(bot.rt.client, aiohttp.ClientTimeout(sock_read=0.2))  # type: ignore[arg-type]
    fake_discord.hold_next(POST)
    try:
        async with asyncio.timeout(5):  # long before the sender's own POST_TIMEOUT
            with pytest.raises(MaybeSentError):
                await bot.rt.sender.send(reveal_to(discord_world, discord_world.bob["id"]))
    finally:
        fake_discord.release_held()
