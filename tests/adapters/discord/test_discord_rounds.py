"""Rapport's Discord buttons, modals and DMs against FakeDiscord: who may press what, stale and
doubled clicks, members who can't be DMed, rate limits, and what a reveal looks like."""

from __future__ import annotations

import contextlib
import copy
from datetime import timedelta

from bot.engine.model import RoundStatus
from bot.identity import Member
from tests.adapters.discord.conftest import BotStarter
from tests.fakes.discord import DiscordWorld, FakeDiscord
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import DiscordRapport, control, custom_ids, embed_texts, kind_of

DEFERRED_UPDATE, MESSAGE, MODAL = 6, 4, 9


def member(world: DiscordWorld, user: p.Payload) -> Member:
    return Member("discord", str(world.guild_id), user["id"])


async def alice_starts_with_bob(bot: DiscordRapport, world: DiscordWorld) -> p.Payload:
    """`/rapport start @bob` by Alice in #general; the interaction it sent."""
    return await bot.command(
        world.alice,
        world.general,
        "start",
        [p.user_option("member", world.bob["id"])],
        resolved=p.resolved([world.bob], guild_members=True),
    )


async def invite(bot: DiscordRapport, world: DiscordWorld) -> str:
    """Alice invites Bob; the round id from the invitation's buttons."""
    await alice_starts_with_bob(bot, world)
    [invitation] = await bot.wait_dms(world.bob["id"], 1)
    return custom_ids(invitation.body["components"])[0].split(":")[2]


async def running_round(bot: DiscordRapport, world: DiscordWorld) -> str:
    round_id = await invite(bot, world)
    await bot.click(world.bob, bot.last(world.bob["id"], "invitation"), "accept")
    await bot.wait_dms(world.alice["id"], 2)  # accepted + first prompt
    await bot.wait_dms(world.bob["id"], 2)  # invitation + first prompt
    return round_id


def followup_texts(fake: FakeDiscord, interaction: p.Payload) -> list[str]:
    return [m.content for m in fake.followups(interaction["token"]) if m.flags & 64]


# --- who may press a button --------------------------------------------------------------------


async def test_a_forged_custom_id_from_a_non_member_changes_nothing(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    round_id = await invite(bot, discord_world)
    carol, dm = discord_world.carol, fake_discord.dm_channel_for(discord_world.carol["id"])

    accept = await bot.push(p.button_click(f"rapport:accept:{round_id}:0", user=carol, channel=dm))
    answer = await bot.push(p.button_click(f"rapport:answer:{round_id}:1", user=carol, channel=dm))
    modal = p.modal_submit(
        f"rapport:modal:{round_id}:1",
        [p.label_text_input("answer", "mine!")],
        user=carol,
        channel=dm,
    )
    await bot.push(modal)

    [accept_cb] = fake_discord.interaction_callbacks(accept["id"])
    assert accept_cb.type == DEFERRED_UPDATE
    assert followup_texts(fake_discord, accept) == [
        "That round belongs to other people, so nothing changed."
    ]
    [answer_cb] = fake_discord.interaction_callbacks(answer["id"])
    assert (answer_cb.type, answer_cb.ephemeral) == (MESSAGE, True)  # a refusal, not a modal
    assert "belongs to other people" in followup_texts(fake_discord, modal)[0]
    state = await bot.core.service.load(round_id)
    assert state is not None and state.status is RoundStatus.INVITED
    assert state.accepted == {member(discord_world, discord_world.alice).key}
    assert bot.dms(carol["id"]) == [] and len(bot.dms(discord_world.alice["id"])) == 0


async def test_an_unknown_round_is_refused_and_the_message_settled(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    dm = fake_discord.dm_channel_for(discord_world.bob["id"])
    click = await bot.push(
        p.button_click("rapport:swap:deadbeef:3", user=discord_world.bob, channel=dm)
    )
    assert followup_texts(fake_discord, click) == [
        "I couldn't find that round, so nothing changed."
    ]
    [callback] = fake_discord.interaction_callbacks(click["id"])
    assert callback.message is not None and callback.message.content == "No longer current."


# --- stale and doubled clicks ------------------------------------------------------------------


async def test_stale_buttons_and_double_clicks_change_nothing(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob = discord_world.alice, discord_world.bob
    round_id = await running_round(bot, discord_world)
    invitation = bot.last(bob["id"], "invitation")

    # the old invitation (as Bob's client still shows it) pressed again
    again = await bot.click(bob, invitation, "accept", as_sent=True)
    assert followup_texts(fake_discord, again) == ["You're already in this round."]

    # Swap pressed twice on the same prompt: one new prompt, the second click is stale
    prompt = bot.last(alice["id"], "prompt")
    await bot.click(alice, prompt, "swap")
    await bot.wait_dms(alice["id"], 3)
    second = await bot.click(alice, prompt, "swap", as_sent=True)
    assert "isn't the current one" in followup_texts(fake_discord, second)[0]
    [second_cb] = fake_discord.interaction_callbacks(second["id"])
    assert second_cb.message is not None and second_cb.message.content == "No longer current."

    # the same interaction delivered twice (a gateway replay) is handled once
    current = bot.last(bob["id"], "prompt")
    stay = p.button_click(
        next(c for c in custom_ids(current.body["components"]) if ":stay:" in c),
        user=bob,
        channel=fake_discord.dm_channel_for(bob["id"]),
        message_payload=copy.deepcopy(current.payload),
    )
    await bot.push(stay)
    await fake_discord.push_event("INTERACTION_CREATE", stay)
    await bot.fake.wait_until(lambda: len(bot.dms(alice["id"])) >= 4)
    stays = [m for m in bot.dms(alice["id"]) if kind_of(m) == "stay"]
    assert len(stays) == 1
    settled = fake_discord._find_message(current.id)
    assert settled is not None and settled.content == "Staying at this depth."
    kept = custom_ids(settled.components)
    assert [c.split(":")[1] for c in kept] == ["answer", "example", "swap", "leave"]

    state = await bot.core.service.load(round_id)
    assert state is not None and state.stay and len(state.history) == 1  # one swap
    assert bot.kinds(alice["id"]) == ["invitation_accepted", "prompt", "prompt", "stay"]
    assert bot.kinds(bob["id"]) == ["invitation", "prompt", "prompt", "stay"]


async def test_not_now_ends_the_round_kindly(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    await invite(bot, discord_world)
    await bot.click(discord_world.bob, bot.last(discord_world.bob["id"], "invitation"), "decline")
    [declined] = await bot.wait_dms(discord_world.alice["id"], 1)
    assert kind_of(declined) == "declined" and "declined for now" in embed_texts(declined)[0]


async def test_answering_twice_by_modal_is_refused_and_hands_the_text_back(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    await running_round(bot, discord_world)
    alice = discord_world.alice
    prompt = bot.last(alice["id"], "prompt")
    await bot.answer_by_modal(alice, prompt, "First thoughts.")
    await bot.wait_dms(alice["id"], 3)

    click = await bot.click(alice, prompt, "answer", as_sent=True)
    [callback] = fake_discord.interaction_callbacks(click["id"])
    assert callback.type == MESSAGE and "already answered" in str(callback.data)


# --- members who can't be DMed -----------------------------------------------------------------


async def test_a_partner_with_dms_closed_gets_no_half_started_round(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob = discord_world.alice, discord_world.bob
    fake_discord.fail_next("POST /channels/{id}/messages", 403, p.CANNOT_SEND_TO_USER)

    start = await alice_starts_with_bob(bot, discord_world)

    [callback] = fake_discord.interaction_callbacks(start["id"])
    assert callback.ephemeral
    assert "can't send direct messages to" in bot.reply(start)
    assert "called off" in bot.reply(start)
    assert await bot.core.service.summaries(member(discord_world, alice)) == []
    assert await bot.core.service.summaries(member(discord_world, bob)) == []
    [called_off] = await bot.wait_dms(alice["id"], 1)  # the DM record of the same news
    assert kind_of(called_off) == "declined"
    assert "couldn't reach everyone" in embed_texts(called_off)[0]
    assert bot.dms(bob["id"]) == []


async def test_a_partner_refused_a_dm_channel_is_not_invited_at_all(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    fake_discord.fail_next("POST /users/@me/channels", 403, p.CANNOT_SEND_TO_USER)
    start = await alice_starts_with_bob(bot, discord_world)
    assert "hasn't started" in bot.reply(start)
    assert await bot.core.service.summaries(member(discord_world, discord_world.alice)) == []
    assert fake_discord.requests_matching("POST /channels/{id}/messages") == []


# --- rate limits -------------------------------------------------------------------------------


async def test_a_429_on_sending_is_retried_and_nothing_is_lost(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    fake_discord.rate_limit_next("POST /channels/{id}/messages", retry_after=0.05)
    await invite(bot, discord_world)
    statuses = [r.status for r in fake_discord.requests_matching("POST /channels/{id}/messages")]
    assert statuses == [429, 200]
    assert bot.kinds(discord_world.bob["id"]) == ["invitation"]


async def test_opening_dms_too_fast_is_retried_by_the_outbox(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot(RAPPORT_DISCORD_INVITE_WAIT=0.2)
    fake_discord.fail_next("POST /users/@me/channels", 400, p.OPENING_DMS_TOO_FAST, times=2)
    start = await alice_starts_with_bob(bot, discord_world)
    assert "Invitation sent" in bot.reply(start)
    assert bot.dms(discord_world.bob["id"]) == []  # held back by the outbox's backoff

    await fake_discord.wait_until(
        lambda: len(fake_discord.requests_matching("POST /users/@me/channels")) == 2
    )
    for _ in range(5):  # the outbox records the retry time just after the failed call
        bot.clock.advance(timedelta(minutes=10))
        bot.core.dispatcher.wake()
        with contextlib.suppress(TimeoutError):
            await fake_discord.wait_until(lambda: bot.dms(discord_world.bob["id"]), timeout=1.0)
            break
    [invitation] = bot.dms(discord_world.bob["id"])
    assert kind_of(invitation) == "invitation"
    opens = [r.status for r in fake_discord.requests_matching("POST /users/@me/channels")]
    assert opens == [400, 400, 200]


# --- what a reveal looks like ------------------------------------------------------------------


async def answer_both(
    bot: DiscordRapport, world: DiscordWorld, alice_text: str, bob_text: str
) -> None:
    await bot.dm(world.alice, alice_text)
    await bot.wait_dms(world.alice["id"], 3)
    await bot.dm(world.bob, bob_text)


async def test_a_reveal_never_pings_anyone(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    await running_round(bot, discord_world)
    alice_text = f"@everyone @here <@{discord_world.bob['id']}> <@&123> hi"
    await answer_both(bot, discord_world, alice_text, f"<@{discord_world.alice['id']}>!")

    for user in (discord_world.alice, discord_world.bob):
        await bot.fake.wait_until(lambda u=user: "reveal" in bot.kinds(u["id"]))
        reveal = bot.last(user["id"], "reveal")
        assert reveal.allowed_mentions == {"parse": []}
        assert reveal.content == ""
        assert alice_text in embed_texts(reveal)
    sent = fake_discord.requests_matching("POST /channels/{id}/messages")
    assert all(r.json["allowed_mentions"] == {"parse": []} for r in sent)
    # a nonce Discord enforces: a repeated send within minutes returns the first message
    nonces = [r.json["nonce"] for r in sent]
    assert all(r.json["enforce_nonce"] for r in sent) and len(set(nonces)) == len(nonces)


async def test_a_long_answer_is_split_across_embeds_and_messages_without_loss(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    await running_round(bot, discord_world)
    alice_text = ("Mountains and rivers. " * 150)[:2999] + "!"
    bob_text = "x" * 3000
    assert len(alice_text) == len(bob_text) == 3000
    await answer_both(bot, discord_world, alice_text, bob_text)

    bob = discord_world.bob["id"]
    await bot.fake.wait_until(
        lambda: bot.kinds(bob)[-1:] == ["prompt"] and "reveal" in bot.kinds(bob)
    )
    kinds = bot.kinds(bob)
    start = kinds.index("reveal")
    parts = bot.dms(bob)[start : kinds.index("prompt", start)]
    assert len(parts) >= 2  # 6,000 characters of answers don't fit one message
    embeds = [e for m in parts for e in m.embeds]
    for message in parts:
        assert message.content == "" and message.allowed_mentions == {"parse": []}
        assert len(message.embeds) <= 10
        assert (
            sum(len(e.get("title") or "") + len(e.get("description") or "") for e in message.embeds)
            <= 6000
        )
    assert all(len(e.get("description") or "") <= 4096 for e in embeds)
    by_heading: dict[str, str] = {}
    for embed in embeds[1:]:
        heading = str(embed["title"]).removesuffix(" (continued)")
        by_heading[heading] = by_heading.get(heading, "") + embed["description"]
    assert sorted(by_heading.values()) == sorted([alice_text, bob_text])
    assert set(by_heading) == {"You", "Alice"}  # Bob sees "You" and Alice's display name


async def test_a_click_on_a_control_its_message_no_longer_shows_is_still_answered(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    await invite(bot, discord_world)
    invitation = bot.last(discord_world.bob["id"], "invitation")
    await bot.click(discord_world.bob, invitation, "accept")

    replay = p.button_click(
        control(invitation, "accept"),
        user=discord_world.bob,
        channel=fake_discord.dm_channel_for(discord_world.bob["id"]),
        message_payload=fake_discord._find_message(invitation.id).payload,
    )
    await bot.push(replay)

    [callback] = fake_discord.interaction_callbacks(replay["id"])
    assert (callback.type, callback.ephemeral) == (MESSAGE, True)
    assert callback.data is not None and "isn't on this message" in callback.data["content"]
    await bot.wait_dms(discord_world.alice["id"], 2)
    await bot.core.dispatcher.run_once()
    assert bot.kinds(discord_world.alice["id"]) == ["invitation_accepted", "prompt"]


async def test_a_session_invitation_refused_by_discord_calls_the_round_off(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    """No slash command waits here: the sender ends the round itself, so nobody waits."""
    bot = await start_bot()
    bob, carol = discord_world.bob, discord_world.carol
    fake_discord.fail_next("POST /channels/{id}/messages", 403, p.CANNOT_SEND_TO_USER)
    outcome = await bot.core.service.start_round(
        [member(discord_world, bob), member(discord_world, carol)], initiator=None
    )
    assert outcome.round_id is not None

    first = await fake_discord.wait_until(lambda: bot.dms(bob["id"]) or bot.dms(carol["id"]))
    reached = bob if bot.dms(bob["id"]) else carol
    assert [kind_of(m) for m in first] == ["invitation"]
    await bot.wait_dms(reached["id"], 2)
    assert bot.kinds(reached["id"]) == ["invitation", "declined"]
    state = await bot.core.service.load(outcome.round_id)
    assert state is not None and state.status is RoundStatus.DECLINED
