"""Many Slack workspaces from one Rapport: installed with "Add to Slack", kept apart, uninstalled.

The real core, slack-bolt's OAuth flow and its app run against FakeSlack serving two more
workspaces, Acme and Bolt, in Socket Mode (the install pages on the ops server) and HTTP mode.
From a fresh database both install through /slack/install → Slack's authorize page →
/slack/oauth_redirect, play a whole round at the same time and a scheduled session each, every
Web API call carrying its own workspace's token; Acme uninstalls, Bolt goes on; Acme installs
again and finds its settings as it left them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from bot.adapters.slack.manifest import bot_scopes
from bot.store.tables import slack_installations
from bot.store.token_cipher import InvalidToken, TokenCipher
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import Mode
from tests.fakes.slack.installs import TOKEN_KEY, OAuthHarness, running_oauth

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
