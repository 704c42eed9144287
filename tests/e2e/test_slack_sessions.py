"""A lead's recurring session on Slack, end to end: schedule, fire, pair, invite, summarise.

The real core (bootstrap.build on SQLite) and the real slack-bolt app run against FakeSlack with
a seven-person channel that also lists Rapport's own bot user, another bot, Slackbot and a
deactivated account. Seven people make three rounds: two pairs and one trio (nobody is left
out). The session fires once by `/rapport schedule run-now <id>` and once by the scheduler's
tick after the fake clock passes the schedule's next run; either way every person gets exactly
one invitation DM, no bot gets anything, and the summary is posted in the channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.engine.model import RoundStatus
from bot.identity import Member
from bot.store import repository as repo
from bot.store.tables import rounds, schedules
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import ALICE, Mode, SlackHarness, running
from tests.fakes.slack.team import (
    DEACTIVATED,
    OTHER_BOT,
    SCHEDULE_OPTIONS,
    SLACKBOT,
    TEAM,
    TEAM_CHANNEL,
    add_team,
    channel_ref,
    invitations,
    schedule_id_of,
    summaries,
)


@pytest.fixture(params=["socket", "http"])
async def slack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    mode: Mode = request.param
    async with FakeSlack() as fake:
        add_team(fake)
        async with running(fake, mode, tmp_path) as harness:
            yield harness


async def _add_schedule(slack: SlackHarness) -> str:
    reply = await slack.command(f"schedule add {channel_ref()} {SCHEDULE_OPTIONS}", user=ALICE)
    assert reply["response_type"] == "ephemeral"
    assert "Monday 09 March 10:00 Europe/Berlin" in reply["text"]  # the clock is Mon 10:00 Berlin
    return schedule_id_of(reply)


async def _check_the_session(slack: SlackHarness) -> None:
    fake = slack.fake
    await fake.wait_for(lambda: all(invitations(slack, u) for u in TEAM) and summaries(fake))
    await slack.rapport.dispatcher.run_once()  # nothing else is waiting to go out
    assert {u: invitations(slack, u) for u in TEAM} == dict.fromkeys(TEAM, 1)
    for not_a_person in (fake.bot_user_id, OTHER_BOT, SLACKBOT, DEACTIVATED):
        assert slack.dms(not_a_person) == []
    assert fake.conversations_open_count.keys() == set(TEAM)

    async with slack.rapport.db.transaction() as conn:
        states = [repo.decode_state(raw) for raw in await conn.scalars(sa.select(rounds.c.state))]
    assert sorted(len(s.members) for s in states) == [2, 2, 3]  # seven: two pairs, one trio
    assert all(s.status is RoundStatus.INVITED for s in states)
    placed = [m for s in states for m in s.members]
    assert sorted(placed) == sorted(Member("slack", fake.team_id, u).key for u in TEAM)

    (summary,) = summaries(fake)
    body = str(summary["blocks"])
    assert "2 pairs and 1 trio started" in body and "next session" in body


async def test_run_now_pairs_the_channel_and_posts_the_summary(slack: SlackHarness) -> None:
    schedule_id = await _add_schedule(slack)
    reply = await slack.command(f"schedule run-now {schedule_id}", user=ALICE)
    assert reply["text"].startswith("3 groups started · next session Monday 09 March 10:00")
    await _check_the_session(slack)


async def test_the_tick_fires_the_session_when_its_time_comes(slack: SlackHarness) -> None:
    schedule_id = await _add_schedule(slack)
    await slack.rapport.tick()
    assert all(invitations(slack, u) == 0 for u in TEAM)  # not due yet

    async with slack.rapport.db.transaction() as conn:
        next_run = await conn.scalar(
            sa.select(schedules.c.next_run_at).where(schedules.c.id == schedule_id)
        )
    slack.clock.set(next_run + timedelta(minutes=1))
    await slack.rapport.tick()
    await _check_the_session(slack)

    await slack.rapport.tick()  # fired once: a second tick invites nobody again
    assert {u: invitations(slack, u) for u in TEAM} == dict.fromkeys(TEAM, 1)
    listed = await slack.command("schedule list", user=ALICE)
    assert schedule_id in listed["text"] and "next Monday 16 March 10:00" in listed["text"]
    assert len(summaries(slack.fake)) == 1
    assert TEAM_CHANNEL in listed["text"]
