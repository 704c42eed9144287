"""Many Slack workspaces from one Rapport: installed with "Add to Slack", kept apart, uninstalled.

The real core, slack-bolt's OAuth flow and its app run against FakeSlack serving two more
workspaces, Acme and Bolt, in Socket Mode (the install pages on the ops server) and HTTP mode.
From a fresh database both install through /slack/install → Slack's authorize page →
/slack/oauth_redirect, play a whole round at the same time and a scheduled session each, every
Web API call carrying its own workspace's token; Acme uninstalls, Bolt goes on; Acme installs
again and finds its settings as it left them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from bot.adapters.slack.blocks import kind_of
from bot.adapters.slack.manifest import bot_scopes
from bot.engine.model import RoundStatus
from bot.identity import Member
from bot.messages.model import Action
from bot.store import repository as repo
from bot.store.tables import outbox, rounds, schedules, slack_installations
from bot.store.token_cipher import InvalidToken, TokenCipher
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import Mode, SlackHarness
from tests.fakes.slack.installs import TOKEN_KEY, OAuthHarness, running_oauth
from tests.fakes.slack.team import SCHEDULE_OPTIONS, schedule_id_of

ANNA, AXEL = "U0ANNA", "U0AXEL"  # Acme: Anna is an admin (a lead)
BEN, BEA = "U0BEN", "U0BEA"  # Bolt: Ben is an admin
CHANNEL = {"T0ACME": "C0ACMETEAM", "T0BOLT": "C0BOLTTEAM"}
WEB_CALLS_WITHOUT_TOKEN = {"response_url", "files.upload", "oauth.authorize", "oauth.v2.access"}


class World:
    def __init__(self, slack: OAuthHarness, acme: FakeSlack, bolt: FakeSlack) -> None:
        self.slack, self.acme, self.bolt = slack, acme, bolt


def _workspace(fake: FakeSlack, team_id: str, name: str, admin: str, other: str) -> FakeSlack:
    workspace = fake.add_workspace(team_id, admin=admin, team_name=name)
    workspace.add_user(other, name=other.removeprefix("U0").lower(), tz="Europe/Berlin")
    workspace.add_channel(CHANNEL[team_id], [admin, other, workspace.bot_user_id])
    return workspace


@pytest.fixture(params=["socket", "http"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    mode: Mode = request.param
    async with FakeSlack() as fake:
        acme = _workspace(fake, "T0ACME", "Acme", ANNA, AXEL)
        bolt = _workspace(fake, "T0BOLT", "Bolt", BEN, BEA)
        async with running_oauth(fake, mode, tmp_path) as slack:
            yield World(slack, acme, bolt)


async def test_two_workspaces_install_with_add_to_slack(world: World) -> None:
    slack = world.slack
    start = await slack.browser.get(slack.install_url)
    assert start.status == 200 and "Add to Slack" in start.text
    asked = parse_qs(urlsplit(start.button).query)
    assert asked["scope"] == [",".join(bot_scopes())] and asked["state"]  # the manifest's scopes

    for workspace, name in ((world.acme, "Acme"), (world.bolt, "Bolt")):
        page = await slack.install(workspace)
        assert page.status == 200, page.text
        assert f"Rapport is now installed in {name}" in page.text
        assert page.button.startswith(f"slack://app?team={workspace.team_id}")
    async with slack.rapport.db.transaction() as conn:
        stored = {r.team_id: r for r in await conn.execute(sa.select(slack_installations))}
    assert set(stored) == {"T0ACME", "T0BOLT"}
    for team_id, workspace in (("T0ACME", world.acme), ("T0BOLT", world.bolt)):
        row = stored[team_id]
        assert row.bot_user_id == workspace.bot_user_id and row.installer_user_id
        assert "xox" not in row.bot_token  # unreadable without RAPPORT_TOKEN_KEY
        assert TokenCipher(TOKEN_KEY).decrypt(row.bot_token) == workspace.bot_token
        with pytest.raises(InvalidToken):
            TokenCipher(TokenCipher.new_key()).decrypt(row.bot_token)


def _kinds(slack: SlackHarness, user: str, kind: str) -> int:
    return sum(1 for k in slack.kinds(user) if k == kind)


async def _play_a_whole_round(slack: SlackHarness, first: str, second: str) -> None:
    """`/rapport start`, accept, four prompts answered by DM (two layers), completed."""
    reply = await slack.command(f"start <@{second}|x>", user=first)
    assert f"<@{second}>" in reply["text"], reply
    await slack.fake.wait_for(lambda: _kinds(slack, second, "invitation") == 1)
    await slack.handled(slack.click(second, slack.last(second, "invitation"), Action.ACCEPT))
    for step in range(1, 5):
        for user in (first, second):
            await slack.fake.wait_for(lambda u=user, n=step: _kinds(slack, u, "prompt") >= n)
            await slack.handled(slack.dm(f"My answer {step}.", user))
    for user in (first, second):
        await slack.fake.wait_for(lambda u=user: _kinds(slack, u, "completed") == 1)
        assert _kinds(slack, user, "reveal") == 4


def _tokens(workspace: FakeSlack) -> set[str | None]:
    return {c.token for c in workspace.calls if c.method not in WEB_CALLS_WITHOUT_TOKEN}


async def _add_schedule(slack: SlackHarness, lead: str) -> str:
    channel = CHANNEL[slack.fake.team_id]
    reply = await slack.command(f"schedule add <#{channel}|team> {SCHEDULE_OPTIONS}", user=lead)
    return schedule_id_of(reply)


async def _states(slack: OAuthHarness, team_id: str) -> list[tuple[str, RoundStatus]]:
    async with slack.rapport.db.transaction() as conn:
        rows = await conn.execute(
            sa.select(rounds.c.state).where(rounds.c.workspace == f"slack:{team_id}")
        )
        states = [repo.decode_state(raw) for raw in rows.scalars()]
    return [(s.id, s.status) for s in states]


async def _schedule_status(slack: OAuthHarness, schedule_id: str) -> str:
    async with slack.rapport.db.transaction() as conn:
        query = sa.select(schedules.c.status).where(schedules.c.id == schedule_id)
        return str(await conn.scalar(query))


async def test_two_workspaces_play_at_once_and_one_uninstalls(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    slack, acme, bolt = world.slack, world.acme, world.bolt
    for workspace in (acme, bolt):
        assert (await slack.install(workspace)).status == 200
    in_acme, in_bolt = slack.on(acme), slack.on(bolt)

    # a whole round in each workspace, at the same time
    await asyncio.gather(
        _play_a_whole_round(in_acme, ANNA, AXEL), _play_a_whole_round(in_bolt, BEN, BEA)
    )
    # a scheduled session in each: both fire on the same tick
    acme_schedule = await _add_schedule(in_acme, ANNA)
    bolt_schedule = await _add_schedule(in_bolt, BEN)
    async with slack.rapport.db.transaction() as conn:
        next_run = await conn.scalar(sa.select(sa.func.min(schedules.c.next_run_at)))
    slack.clock.set(next_run + timedelta(minutes=1))
    await slack.rapport.tick()
    for view, people in ((in_acme, (ANNA, AXEL)), (in_bolt, (BEN, BEA))):
        channel = CHANNEL[view.fake.team_id]
        await view.fake.wait_for(
            lambda v=view, c=channel: [
                m for m in v.fake.posted_messages(c) if kind_of(m) == "session_summary"
            ]
        )
        for user in people:
            await view.fake.wait_for(lambda v=view, u=user: _kinds(v, u, "invitation") >= 1)

    # every Web API call carried its own workspace's token; none used the home workspace's
    assert _tokens(acme) == {acme.bot_token} and _tokens(bolt) == {bolt.bot_token}
    assert all(c.ok for c in (*acme.calls, *bolt.calls)), [c for c in acme.calls if not c.ok]
    assert {c.token for c in slack.fake.calls} - {None} == {slack.fake.app_token} or (
        slack.mode == "http" and {c.token for c in slack.fake.calls} - {None} == set()
    )

    # a lead in Acme changed a setting; then Acme removes Rapport
    lead = Member("slack", "T0ACME", ANNA)
    changed = await slack.rapport.service.workspaces.change(lead, True, {"depth": "1"})
    assert changed.ok, changed
    await in_acme.handled(acme.uninstall())
    assert await slack.runtime.installations.find("T0ACME") is None  # type: ignore[union-attr]
    acme_rounds = await _states(slack, "T0ACME")
    assert {status for _, status in acme_rounds} == {RoundStatus.COMPLETED, RoundStatus.LEFT}
    assert await _schedule_status(slack, acme_schedule) == "paused"

    # Bolt is untouched and goes on: its session's invitation is accepted, the prompt arrives
    assert RoundStatus.INVITED in {status for _, status in await _states(slack, "T0BOLT")}
    assert await _schedule_status(slack, bolt_schedule) == "active"
    prompts = _kinds(in_bolt, BEA, "prompt")
    for user in (BEN, BEA):
        await in_bolt.handled(in_bolt.click(user, in_bolt.last(user, "invitation"), Action.ACCEPT))
    await bolt.wait_for(lambda: _kinds(in_bolt, BEA, "prompt") > prompts)

    # a message queued for Acme after it left is dropped, with one line, not retried
    caplog.set_level(logging.WARNING, "bot.service.outbox")
    people = [Member("slack", "T0ACME", u) for u in (ANNA, AXEL)]
    await slack.rapport.service.start_round(people, initiator=people[0])
    await slack.rapport.dispatcher.run_once()
    async with slack.rapport.db.transaction() as conn:
        failed = await conn.execute(
            sa.select(outbox.c.status, outbox.c.error)
            .where(outbox.c.member_key.like("slack:T0ACME:%"))
            .where(outbox.c.status == "failed")
        )
        assert [tuple(r) for r in failed] == [("failed", "not_installed")]
    dropped = [r for r in caplog.records if "not_installed" in r.getMessage()]
    assert len(dropped) == 1

    # Acme installs again: its settings are as it left them, and it works again
    assert (await slack.install(acme)).status == 200
    settings = await slack.rapport.service.workspaces.settings_of("slack:T0ACME")
    assert settings.max_layer == 1
    reply = await in_acme.command("status", user=AXEL)
    assert reply["response_type"] == "ephemeral"
