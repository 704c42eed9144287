"""A whole Discord round between two fake members, from `/rapport start` to the rating.

The real core (bootstrap.build on a SQLite file) and the real discord.py client (DiscordRuntime)
run against FakeDiscord. The test checks every DM each member received, in order, and every
interaction callback, in order: a swap, a modal answer and a plain-DM answer, the held
confirmation, both answers in each reveal (sent with allowed_mentions none), moving one layer
deeper, completion and the 1-7 rating. Half-way the bot restarts (runtime and core rebuilt on
the same database, a new gateway session) and a button sent before the restart still works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine.model import RoundStatus
from tests.fakes.discord import SentMessage, default_world
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import DiscordRapport, embed_texts, running

DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL, DEFERRED_REPLY = 6, 7, 9, 5
WORLD = default_world()
ALICE, BOB = WORLD.alice, WORLD.bob


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[DiscordRapport]:
    async with running(
        guilds=[WORLD.guild], users=WORLD.users, db_path=tmp_path / "rapport.db"
    ) as harness:
        yield harness


class Pair:
    """Keeps the DM kinds each member should have received so far, in order."""

    def __init__(self, bot: DiscordRapport) -> None:
        self.bot = bot
        self.expected: dict[str, list[str]] = {ALICE["id"]: [], BOB["id"]: []}

    async def expect(self, user: p.Payload, *kinds: str) -> None:
        expected = self.expected[user["id"]]
        expected += kinds
        await self.bot.wait_dms(user["id"], len(expected))
        # what came next (a reveal's next prompt may follow within milliseconds) is checked by
        # the next expectation, and the round's end compares everything
        assert self.bot.kinds(user["id"])[: len(expected)] == expected

    async def answer(self, user: p.Payload, text: str, via: str) -> None:
        prompt = self.bot.last(user["id"], "prompt")
        if via == "modal":
            modal, _ = await self.bot.answer_by_modal(user, prompt, text)
            assert modal.data is not None and len(modal.data["title"]) <= 45
            display, label = modal.data["components"]
            assert display["type"] == 10 and display["content"] == prompt.embeds[0]["title"]
            assert label["type"] == 18 and label["component"]["max_length"] == 3000
            assert label["component"]["style"] == 2  # paragraph
            assert self.bot.fake._find_message(prompt.id).content == "✓ Answered."
        else:
            await self.bot.dm(user, text)

    async def step(self, first: tuple[p.Payload, str, str], second: tuple[p.Payload, str, str]):
        """Both answer the current prompt; the first is told it's held; both see both."""
        await self.answer(*first)
        await self.expect(first[0], "answer_held")
        await self.answer(*second)
        for user in (ALICE, BOB):
            await self.expect(user, "reveal")
            reveal = self.bot.last(user["id"], "reveal")
            assert reveal.allowed_mentions == {"parse": []}  # pings nobody
            answers = embed_texts(reveal)[1:]
            assert answers == [first[1], second[1]] or answers == [second[1], first[1]]
            assert reveal.content == ""  # answers live in embeds, never in content


async def test_a_whole_round_from_start_to_rating_with_a_restart(bot: DiscordRapport) -> None:
    fake, pair = bot.fake, Pair(bot)
    general = WORLD.general

    # the command group was registered in the guild at start-up
    [put] = fake.requests_matching("PUT /applications/{app}/guilds/{gid}/commands")
    assert [c["name"] for c in put.json] == ["rapport"]

    start = await bot.command(
        ALICE,
        general,
        "start",
        [p.user_option("member", BOB["id"])],
        resolved=p.resolved([BOB], guild_members=True),
    )
    assert f"<@{BOB['id']}>" in bot.reply(start) and "Invitation sent" in bot.reply(start)
    await pair.expect(BOB, "invitation")
    invitation = bot.last(BOB["id"], "invitation")
    assert f"<@{ALICE['id']}>" in embed_texts(invitation)[0]

    accept = await bot.click(BOB, invitation, "accept")
    settled = fake._find_message(invitation.id)
    assert settled is not None and settled.content == "✓ Accepted." and settled.components == []
    await pair.expect(ALICE, "invitation_accepted", "prompt")
    await pair.expect(BOB, "prompt")

    # Alice swaps the first prompt: both get a new one, nobody is told who swapped
    first = bot.last(ALICE["id"], "prompt")
    swap = await bot.click(ALICE, first, "swap")
    await pair.expect(ALICE, "prompt")
    await pair.expect(BOB, "prompt")
    swapped_in = bot.last(BOB["id"], "prompt")
    assert swapped_in.embeds[0]["title"] != first.embeds[0]["title"]
    assert "A new prompt was drawn" in embed_texts(swapped_in)[0]
    assert "alice" not in embed_texts(swapped_in)[0].lower()

    # layer 1, prompt 1: a modal answer (that would ping everyone) and a plain DM answer
    await pair.step((ALICE, f"Mornings @everyone <@{BOB['id']}>", "modal"), (BOB, "Tea.", "dm"))
    await pair.expect(ALICE, "prompt")
    await pair.expect(BOB, "prompt")
    before_restart = bot.last(BOB["id"], "prompt")

    await bot.restart()

    # the prompt sent before the restart still answers through its button
    await pair.step((BOB, "By bike.", "modal"), (ALICE, "On foot.", "dm"))
    assert fake._find_message(before_restart.id).content == "✓ Answered."

    # layer 2 follows: the prompt says it goes one layer deeper
    await pair.expect(ALICE, "prompt")
    await pair.expect(BOB, "prompt")
    deeper = embed_texts(bot.last(ALICE["id"], "prompt"))[0]
    assert "one layer deeper" in deeper and "Layer 2" in deeper
    await pair.step((ALICE, "Kindness.", "dm"), (BOB, "Patience.", "modal"))
    await pair.expect(ALICE, "prompt")
    await pair.expect(BOB, "prompt")
    await pair.step((BOB, "Honesty.", "dm"), (ALICE, "Curiosity.", "modal"))

    await pair.expect(ALICE, "completed")
    await pair.expect(BOB, "completed")
    for user in (ALICE, BOB):  # nothing more, nothing twice
        assert bot.kinds(user["id"]) == pair.expected[user["id"]]
    completed = bot.last(ALICE["id"], "completed")
    rate = await bot.rate(ALICE, completed, 6)
    assert fake._find_message(completed.id).content.startswith("✓ You rated this round 6")

    [state] = [s for s in [await bot.core.service.load(invitation_round(invitation))] if s]
    assert state.status is RoundStatus.COMPLETED and state.layer == 2
    assert list(state.ratings.values()) == [6]

    # every interaction got exactly one callback, of the expected type, in order
    callbacks = [(c.interaction_id, c.type) for c in fake.callbacks]
    assert callbacks[:3] == [
        (start["id"], DEFERRED_REPLY),
        (accept["id"], DEFERRED_UPDATE),
        (swap["id"], DEFERRED_UPDATE),
    ]
    types = [t for _, t in callbacks[3:-1]]
    assert types == [MODAL, UPDATE_MESSAGE] * 4  # Answer -> modal; submit -> the prompt settled
    assert callbacks[-1] == (rate["id"], DEFERRED_UPDATE)
    assert len({i for i, _ in callbacks}) == len(callbacks)
    assert all(c.ephemeral for c in fake.callbacks if c.type == DEFERRED_REPLY)
    assert len(fake.identifies) == 2  # a new gateway session after the restart


def invitation_round(message: SentMessage) -> str:
    accept = next(iter(message.body["components"][0]["components"]))["custom_id"]
    return str(accept.split(":")[2])
