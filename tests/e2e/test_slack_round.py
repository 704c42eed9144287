"""A whole Slack round between two fake users, from `/rapport start @bob` to the rating.

The real core (bootstrap.build on SQLite) and the real slack-bolt app run against FakeSlack, in
Socket Mode and in HTTP mode. The test checks what each user received and in what order,
including a swap, modal and plain-DM answers, the held confirmation, both answers in every
reveal, moving one layer deeper, the completion message and the 1-7 rating select.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack.wire import ACTION_IDS
from bot.engine.model import RoundStatus
from bot.messages.model import Action
from bot.runner import run
from tests.fakes.slack import FakeSlack, find_pings
from tests.fakes.slack.harness import (
    ALICE,
    BOB,
    Mode,
    SlackHarness,
    control,
    harness_settings,
    has_control,
    running,
    section_texts,
)


@pytest.fixture(params=["socket", "http"])
async def slack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    mode: Mode = request.param
    async with FakeSlack() as fake, running(fake, mode, tmp_path) as harness:
        yield harness


class Pair:
    """Keeps the expected DM kinds of both users as the round goes on."""

    def __init__(self, slack: SlackHarness) -> None:
        self.slack = slack
        self.expected: dict[str, list[str]] = {ALICE: [], BOB: []}

    async def expect(self, user: str, *kinds: str) -> None:
        self.expected[user] += kinds
        got = await self.slack.wait_dms(user, len(self.expected[user]))
        assert got == self.expected[user]

    async def answer(self, user: str, text: str, *, via: str) -> None:
        prompt = self.slack.last(user, "prompt")
        if via == "modal":
            modal = await self.slack.open_answer_modal(user, prompt)
            assert modal["title"]["text"] == "Your answer"
            ack = await self.slack.handled(self.slack.submission(user, modal, text))
            assert not ack  # a plain ack closes the modal
        else:
            await self.slack.handled(self.slack.dm(text, user))

    async def step(self, first: tuple[str, str, str], second: tuple[str, str, str]) -> None:
        """Both answer the current prompt; the first gets the held confirmation."""
        await self.answer(first[0], first[1], via=first[2])
        await self.expect(first[0], "answer_held")
        await self.answer(second[0], second[1], via=second[2])
        reveals = [await self._reveal_of(user) for user in (ALICE, BOB)]
        for reveal in reveals:
            assert section_texts(reveal, "answer_0") and section_texts(reveal, "answer_1")
            assert find_pings(reveal) == []

    async def _reveal_of(self, user: str) -> dict[str, Any]:
        await self.slack.fake.wait_for(lambda: self.slack.kinds(user)[-1:] != ["answer_held"])
        await self.expect(user, "reveal")
        return self.slack.last(user, "reveal")


async def test_a_whole_round_from_start_to_rating(slack: SlackHarness) -> None:
    pair = Pair(slack)
    fake = slack.fake

    reply = await slack.command(f"start <@{BOB}|bob>")
    assert reply["response_type"] == "ephemeral" and f"<@{BOB}>" in reply["text"]
    await pair.expect(BOB, "invitation")
    invitation = slack.last(BOB, "invitation")
    assert f"<@{ALICE}>" in invitation["blocks"][1]["text"]["text"]

    await slack.handled(slack.click(BOB, invitation, Action.ACCEPT))
    settled = fake.message(invitation["channel"], invitation["ts"])
    assert not has_control(settled, ACTION_IDS[Action.ACCEPT])
    assert settled["blocks"][-1]["elements"][0]["text"] == "✓ Accepted"
    await pair.expect(ALICE, "invitation_accepted", "prompt")
    await pair.expect(BOB, "prompt")

    # Alice swaps the first prompt: both get a new one, nobody is told who swapped
    first = slack.last(ALICE, "prompt")
    await slack.handled(slack.click(ALICE, first, Action.SWAP))
    assert not has_control(fake.message(first["channel"], first["ts"]), ACTION_IDS[Action.SWAP])
    await pair.expect(ALICE, "prompt")
    await pair.expect(BOB, "prompt")
    swapped_in = slack.last(BOB, "prompt")
    assert swapped_in["text"] != first["text"]
    assert "A new prompt was drawn" in swapped_in["blocks"][1]["text"]["text"]
    assert "alice" not in swapped_in["blocks"][1]["text"]["text"].lower()

    # layer 1: a modal answer and a plain DM answer, then the second prompt of the layer
    await pair.step((ALICE, "Mornings & <!channel>", "modal"), (BOB, "Tea, always.", "dm"))
    reveal = slack.last(BOB, "reveal")
    assert section_texts(reveal, "answer_0") == ["Mornings &amp; &lt;!channel&gt;"]
    assert section_texts(reveal, "answer_1") == ["Tea, always."]
    await pair.expect(ALICE, "prompt")
    await pair.expect(BOB, "prompt")
    await pair.step((BOB, "By bike.", "modal"), (ALICE, "On foot.", "dm"))

    # layer 2 follows: the prompt says it goes one layer deeper
    await pair.expect(ALICE, "prompt")
    await pair.expect(BOB, "prompt")
    deeper = slack.last(ALICE, "prompt")["blocks"][1]["text"]["text"]
    assert "one layer deeper" in deeper and "Layer 2" in deeper
    await pair.step((ALICE, "Kindness.", "dm"), (BOB, "Patience.", "modal"))
    await pair.expect(ALICE, "prompt")
    await pair.expect(BOB, "prompt")
    await pair.step((BOB, "Honesty.", "dm"), (ALICE, "Curiosity.", "dm"))

    # the cap is layer 2: the round completes and offers the rating
    await pair.expect(ALICE, "completed")
    await pair.expect(BOB, "completed")
    completed = slack.last(ALICE, "completed")
    round_id = _round_id(completed)
    await slack.handled(slack.rate(ALICE, completed, 6))
    rated = fake.message(completed["channel"], completed["ts"])
    assert not has_control(rated, ACTION_IDS[Action.RATE])
    assert "6 out of 7" in rated["blocks"][-1]["elements"][0]["text"]

    state = await slack.rapport.service.load(round_id)
    assert state is not None and state.status is RoundStatus.COMPLETED
    assert state.ratings == {f"slack:{fake.team_id}:{ALICE}": 6}
    assert len(state.history) == 5  # one swapped step and four revealed ones


def _round_id(message: dict[str, Any]) -> str:
    value = control(message, ACTION_IDS[Action.RATE])["options"][0]["value"]
    return str(value).partition(":")[0]


async def test_rapport_run_connects_to_slack_in_socket_mode(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        settings = harness_settings(fake, "socket", tmp_path)
        stop = asyncio.Event()
        running_bot = asyncio.create_task(run(settings, stop))
        await fake.wait_connected(1, timeout=10)
        assert [c.method for c in fake.calls][:2] == ["auth.test", "apps.connections.open"]
        stop.set()
        assert await asyncio.wait_for(running_bot, timeout=15) == 0
        await fake.wait_for(lambda: fake.connections == 0)
