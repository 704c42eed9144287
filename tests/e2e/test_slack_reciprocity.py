"""A whole Slack round with the reciprocity rules (issue 16), against FakeSlack in Socket Mode.

The round exchanges follow-up questions through the form, one member passes on the next, the
balance guard holds the round after a very uneven layer (the same check-in to both, buttons),
one member chooses to stay so another prompt comes at that depth, then both choose deeper; the
round completes and both choose "Keep going together": a new round starts at the depth they
reached, without an invitation, with a prompt they never had.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack.wire import (
    ACTION_IDS,
    FOLLOW_UP_BLOCK,
    FOLLOW_UP_CALLBACK,
    FOLLOW_UP_INPUT,
)
from bot.engine.model import RoundStatus
from bot.messages.model import Action
from tests.fakes.slack import FakeSlack, find_pings
from tests.fakes.slack.harness import ALICE, BOB, SlackHarness, has_control, running, section_texts

LONG = "I start every day with a long walk by the river, " * 4


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with (
        FakeSlack() as fake,
        running(fake, "socket", tmp_path, RAPPORT_FOLLOW_UPS=True) as harness,
    ):
        yield harness


async def _count(slack: SlackHarness, user: str, kind: str, count: int) -> None:
    await slack.fake.wait_for(lambda: slack.kinds(user).count(kind) >= count)


async def _both(slack: SlackHarness, kind: str, count: int) -> None:
    for user in (ALICE, BOB):
        await _count(slack, user, kind, count)


async def _answer_both(slack: SlackHarness, alice: str, bob: str, kind: str = "prompt") -> None:
    modal = await slack.open_answer_modal(ALICE, slack.last(ALICE, kind))
    await slack.handled(slack.submission(ALICE, modal, alice))
    await slack.handled(slack.dm(bob, BOB))


async def _ask(slack: SlackHarness, user: str, text: str) -> None:
    opened = len(slack.fake.calls_to("views.open"))
    await slack.handled(slack.click(user, slack.last(user, "reveal"), Action.FOLLOW_UP))
    calls = await slack.fake.wait_for(lambda: slack.fake.calls_to("views.open")[opened:])
    modal: dict[str, Any] = slack.fake.views[calls[0].response["view"]["id"]]
    assert modal["title"]["text"] == "Ask a follow-up"
    submit = slack.fake.payloads.view_submission(
        callback_id=FOLLOW_UP_CALLBACK,
        values={FOLLOW_UP_BLOCK: {FOLLOW_UP_INPUT: text}},
        user_id=user,
        private_metadata=modal["private_metadata"],
        view_id=modal["id"],
    )
    assert not await slack.handled(submit)  # a plain ack: stored, the form closes


async def test_follow_ups_the_balance_guard_and_keeping_going_together(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.command(f"start <@{BOB}|bob> pace:standard")
    await _count(slack, BOB, "invitation", 1)
    invitation = slack.last(BOB, "invitation")
    assert "Pace: standard: 2 prompts per layer" in str(invitation["blocks"])
    await slack.handled(slack.click(BOB, invitation, Action.ACCEPT))
    await _both(slack, "prompt", 1)

    # prompt 1, then both ask a follow-up: delivered only once both asked
    await _answer_both(slack, LONG, "Tea.")
    await _both(slack, "reveal", 1)
    assert has_control(slack.last(BOB, "reveal"), ACTION_IDS[Action.SKIP])
    await _ask(slack, ALICE, "Which river, <!channel>?")
    await _count(slack, ALICE, "follow_up_held", 1)
    assert slack.kinds(BOB).count("follow_up_questions") == 0
    await _ask(slack, BOB, "Since when?")
    await _count(slack, BOB, "follow_up_questions", 1)
    asked_bob = slack.last(BOB, "follow_up_questions")
    assert section_texts(asked_bob, "answer_0") == ["Which river, &lt;!channel&gt;?"]
    assert find_pings(asked_bob) == []
    await _count(slack, ALICE, "follow_up_questions", 1)
    await _answer_both(slack, "Since school.", "The Elbe.", kind="follow_up_questions")
    await _count(slack, ALICE, "follow_up_reveal", 1)
    texts = str(slack.last(ALICE, "follow_up_reveal")["blocks"])
    assert "The Elbe." in texts and "Since school." in texts and "Since when?" in texts

    # prompt 2: uneven again; Bob passes on follow-ups (nobody is told who), then the guard
    await _both(slack, "prompt", 2)
    await _answer_both(slack, LONG, "Yes.")
    await _both(slack, "reveal", 2)
    await slack.handled(slack.click(BOB, slack.last(BOB, "reveal"), Action.SKIP))
    await _count(slack, ALICE, "follow_ups_passed", 1)
    assert "bob" not in str(slack.last(ALICE, "follow_ups_passed")["blocks"]).lower()
    await _both(slack, "check_in", 1)
    check_alice, check_bob = slack.last(ALICE, "check_in"), slack.last(BOB, "check_in")
    assert check_alice["blocks"][1:] == check_bob["blocks"][1:]  # the same words, no lengths
    assert "Go a layer deeper, or stay at this depth" in str(check_alice["blocks"])
    assert slack.kinds(ALICE).count("prompt") == 2  # held: no prompt until both chose

    # one chooses to stay: one more prompt at this depth, then the same check
    await slack.handled(slack.click(ALICE, check_alice, Action.DEEPER))
    await slack.handled(slack.click(BOB, check_bob, Action.HERE))
    await _both(slack, "prompt", 3)
    assert "Layer 1" in str(slack.last(ALICE, "prompt")["blocks"])
    await _answer_both(slack, "Walking.", "Cycling.")
    await _both(slack, "reveal", 3)
    await slack.handled(slack.click(ALICE, slack.last(ALICE, "reveal"), Action.SKIP))
    await _both(slack, "check_in", 2)
    for user in (ALICE, BOB):
        await slack.handled(slack.click(user, slack.last(user, "check_in"), Action.DEEPER))
    await _both(slack, "prompt", 4)
    assert "one layer deeper" in str(slack.last(BOB, "prompt")["blocks"])

    # layer 2 to the end (the cap), follow-ups skipped
    await _answer_both(slack, "Kindness.", "Patience.")
    await _both(slack, "reveal", 4)
    await slack.handled(slack.click(BOB, slack.last(BOB, "reveal"), Action.SKIP))
    await _both(slack, "prompt", 5)
    await _answer_both(slack, "Honesty.", "Curiosity.")
    await _both(slack, "completed", 1)
    first_round = await _round_of(slack)

    # keep going together: both choose it; a new round at layer 2, no invitation
    for user in (ALICE, BOB):
        completed = slack.last(user, "completed")
        await slack.handled(slack.click(user, completed, Action.KEEP_GOING))
        settled = fake.message(completed["channel"], completed["ts"])
        assert has_control(settled, ACTION_IDS[Action.RATE])  # the rating is still offered
        assert not has_control(settled, ACTION_IDS[Action.KEEP_GOING])
    await _count(slack, ALICE, "kept_going", 1)
    await _both(slack, "prompt", 6)
    assert slack.kinds(BOB).count("invitation") == 1
    new_prompt = slack.last(BOB, "prompt")
    assert "Layer 2" in str(new_prompt["blocks"])
    old = await slack.rapport.service.load(first_round)
    assert old is not None and old.status is RoundStatus.COMPLETED and old.continued_as
    new = await slack.rapport.service.load(old.continued_as)
    assert new is not None and new.status is RoundStatus.ACTIVE and new.layer == 2
    assert new.current is not None and new.current.prompt_id not in old.excluded_prompts
    assert [r.went_deeper for r in old.check_ins] == [False, True]


async def _round_of(slack: SlackHarness) -> str:
    value = next(
        e["value"]
        for b in slack.last(ALICE, "completed")["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == ACTION_IDS[Action.KEEP_GOING]
    )
    return str(value).partition(":")[0]
