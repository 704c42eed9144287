"""A whole Discord round with the reciprocity rules (issue 16), real discord.py against
FakeDiscord: follow-up questions through a modal (relayed without pinging anyone), a pass, the
balance guard's check-in with one member staying and then both going deeper, and "Keep going
together" starting the next round at the depth reached, without an invitation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine.model import RoundStatus
from tests.fakes.discord import default_world
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import DiscordRapport, control, embed_texts, running

WORLD = default_world()
ALICE, BOB = WORLD.alice, WORLD.bob
LONG = "I start every day with a long walk by the river, " * 4


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[DiscordRapport]:
    async with running(
        guilds=[WORLD.guild],
        users=WORLD.users,
        db_path=tmp_path / "rapport.db",
        RAPPORT_FOLLOW_UPS=True,
    ) as harness:
        yield harness


async def _both(bot: DiscordRapport, kind: str, count: int) -> None:
    for user in (ALICE, BOB):
        await bot.fake.wait_until(lambda u=user: bot.kinds(u["id"]).count(kind) >= count)


async def _answer_both(bot: DiscordRapport, alice: str, bob: str, kind: str = "prompt") -> None:
    await bot.answer_by_modal(ALICE, bot.last(ALICE["id"], kind), alice)
    await bot.dm(BOB, bob)


async def _ask(bot: DiscordRapport, user: p.Payload, text: str) -> None:
    reveal = bot.last(user["id"], "reveal")
    click = await bot.click(user, reveal, "followup")
    [modal] = bot.fake.interaction_callbacks(click["id"])
    assert modal.type == 9 and modal.data is not None and len(modal.data["title"]) <= 45
    label = modal.data["components"][-1]
    assert label["component"]["max_length"] == 300
    await bot.submit_modal(user, modal, {"question": text}, reveal)


async def test_follow_ups_the_balance_guard_and_keeping_going_together(
    bot: DiscordRapport,
) -> None:
    start = await bot.command(
        ALICE,
        WORLD.general,
        "start",
        [p.user_option("member", BOB["id"]), p.string_option("pace", "standard")],
        resolved=p.resolved([BOB], guild_members=True),
    )
    assert "Invitation sent" in bot.reply(start)
    await bot.wait_dms(BOB["id"], 1)
    invitation = bot.last(BOB["id"], "invitation")
    assert "Pace: standard: 2 prompts per layer" in " ".join(embed_texts(invitation))
    await bot.click(BOB, invitation, "accept")
    await _both(bot, "prompt", 1)

    # prompt 1, then both ask: the questions arrive only once both asked, pinging nobody
    await _answer_both(bot, LONG, "Tea.")
    await _both(bot, "reveal", 1)
    await _ask(bot, ALICE, f"Which river, @everyone <@{BOB['id']}>?")
    await bot.fake.wait_until(lambda: "follow_up_held" in bot.kinds(ALICE["id"]))
    assert "follow_up_questions" not in bot.kinds(BOB["id"])
    await _ask(bot, BOB, "Since when?")
    await _both(bot, "follow_up_questions", 1)
    asked_bob = bot.last(BOB["id"], "follow_up_questions")
    assert asked_bob.allowed_mentions == {"parse": []}
    assert f"Which river, @everyone <@{BOB['id']}>?" in embed_texts(asked_bob)
    await _answer_both(bot, "Since school.", "The Elbe.", kind="follow_up_questions")
    await _both(bot, "follow_up_reveal", 1)
    assert "The Elbe." in embed_texts(bot.last(ALICE["id"], "follow_up_reveal"))

    # prompt 2, uneven again: Bob passes, then the guard holds the round for a check-in
    await _both(bot, "prompt", 2)
    await _answer_both(bot, LONG, "Yes.")
    await _both(bot, "reveal", 2)
    await bot.click(BOB, bot.last(BOB["id"], "reveal"), "skip")
    await _both(bot, "follow_ups_passed", 1)
    await _both(bot, "check_in", 1)
    texts = [embed_texts(bot.last(u["id"], "check_in")) for u in (ALICE, BOB)]
    assert texts[0] == texts[1] and "Go a layer deeper, or stay" in texts[0][0]
    await bot.click(ALICE, bot.last(ALICE["id"], "check_in"), "deeper")
    await bot.click(BOB, bot.last(BOB["id"], "check_in"), "here")
    await _both(bot, "prompt", 3)
    assert "Layer 1" in embed_texts(bot.last(ALICE["id"], "prompt"))[0]

    # one more prompt at this depth, the same check, and both choose deeper
    await _answer_both(bot, "Walking.", "Cycling.")
    await _both(bot, "reveal", 3)
    await bot.click(ALICE, bot.last(ALICE["id"], "reveal"), "skip")
    await _both(bot, "check_in", 2)
    for user in (ALICE, BOB):
        await bot.click(user, bot.last(user["id"], "check_in"), "deeper")
    await _both(bot, "prompt", 4)
    assert "one layer deeper" in embed_texts(bot.last(BOB["id"], "prompt"))[0]
    await _answer_both(bot, "Kindness.", "Patience.")
    await _both(bot, "reveal", 4)
    await bot.click(BOB, bot.last(BOB["id"], "reveal"), "skip")
    await _both(bot, "prompt", 5)
    await _answer_both(bot, "Honesty.", "Curiosity.")
    await _both(bot, "completed", 1)

    # keep going together: the rating stays offered; a new round at layer 2, no invitation
    completed = bot.last(ALICE["id"], "completed")
    round_id = control(completed, "together").split(":")[2]
    for user in (ALICE, BOB):
        await bot.click(user, bot.last(user["id"], "completed"), "together")
    settled = bot.fake._find_message(completed.id)
    assert settled is not None and "keep going together" in settled.content
    await _both(bot, "kept_going", 1)
    await _both(bot, "prompt", 6)
    assert bot.kinds(BOB["id"]).count("invitation") == 1
    old = await bot.core.service.load(round_id)
    assert old is not None and old.status is RoundStatus.COMPLETED and old.continued_as
    new = await bot.core.service.load(old.continued_as)
    assert new is not None and new.status is RoundStatus.ACTIVE and new.layer == 2
    assert new.current is not None and new.current.prompt_id not in old.excluded_prompts
    assert [r.went_deeper for r in old.check_ins] == [False, True]
