"""Leads' reports on Slack, with the real slack-bolt app against FakeSlack: a session of nine
people (one opted out, one Slack won't let Rapport DM) in a channel that also lists bots gives
the lead a report of counts by DM; a week later (the fake clock) the follow-up comes with its
chart uploaded into the lead's DM. Nothing in either names anyone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.slack.blocks import kind_of
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import ALICE, SlackHarness, running
from tests.fakes.slack.team import (
    SCHEDULE_OPTIONS,
    TEAM,
    add_team,
    channel_ref,
    invitations,
    schedule_id_of,
)

PEOPLE = (*TEAM, "U0HEIDI", "U0IVAN")  # nine
OPTED_OUT = "U0IVAN"


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with FakeSlack() as fake:
        add_team(fake, PEOPLE)
        async with running(fake, "socket", tmp_path) as harness:
            yield harness


def report_text(message: dict[str, object]) -> str:
    return str(message["blocks"])


async def test_the_lead_gets_a_session_report_and_a_follow_up_with_a_chart(
    slack: SlackHarness,
) -> None:
    await slack.command("optout", user=OPTED_OUT)
    schedule_id = schedule_id_of(
        await slack.command(f"schedule add {channel_ref()} {SCHEDULE_OPTIONS}")
    )
    slack.fake.fail_next("conversations.open", error="user_not_found")  # one can't be DMed
    await slack.command(f"schedule run-now {schedule_id}")
    await slack.fake.wait_for(
        lambda: sum(invitations(slack, u) for u in PEOPLE if u != OPTED_OUT) == 7
    )
    await slack.rapport.dispatcher.drain()
    await slack.rapport.tick()

    [report] = await slack.fake.wait_for(
        lambda: [m for m in slack.dms(ALICE) if kind_of(m) == "session_report"]
    )
    text = report_text(report)
    # nine people, Rapport's own bot user, another bot, Slackbot and a deactivated account
    assert "13 members found in the channel · 8 paired in 4 pairs and 0 trios" in text
    assert "Left out: 1 opted out · 0 paused · 4 bots · 0 with no partner possible" in text
    assert "Invitations: 7 delivered · 1 failed (0 with DMs closed" in text
    assert not any(user in text for user in PEOPLE)
    listed = await slack.command("schedule list")
    assert "4 pairs, 0 trios · 7 of 8 invitations delivered" in listed["text"]

    await slack.command(f"schedule pause {schedule_id}")  # no new session meanwhile
    slack.clock.advance(timedelta(days=7))
    await slack.rapport.tick()
    [follow_up] = await slack.fake.wait_for(
        lambda: [m for m in slack.dms(ALICE) if kind_of(m) == "report_follow_up"]
    )
    assert "0 of 4 groups accepted" in report_text(follow_up)
    [chart] = await slack.fake.wait_for(
        lambda: [f for f in slack.fake.files.values() if f.get("channels")]  # upload completed
    )
    assert chart["channels"] == [slack.fake.dm_channel(ALICE)]
    assert chart["content"].startswith(b"\x89PNG")
    assert chart["alt_txt"].startswith("Rapport figures for 8 people")
    assert not any(user.encode() in chart["content"] for user in PEOPLE)
