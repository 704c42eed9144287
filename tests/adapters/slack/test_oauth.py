"""The install flow's edges and OAuth mode's start-up checks, against the fake Slack.

A forged, missing or replayed `state` is refused with a page saying to start again (and no
code is exchanged); a person who cancels on Slack's page is told nothing was installed; an
Enterprise Grid org-wide install is refused and handed back; the fake refuses a token it never
issued, a revoked one, and none, as Slack does. At start-up a missing or wrong client secret,
a missing or malformed RAPPORT_TOKEN_KEY, or both token kinds at once are one clear sentence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.runtime import SlackRuntime
from bot.bootstrap import build
from bot.ops.logging import secret_values
from bot.ops.startup_errors import OperatorError
from bot.store.token_cipher import TokenCipher
from tests.adapters.logs import leaks, production_logs
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.installs import TOKEN_KEY, OAuthHarness, oauth_settings, running_oauth

ADMIN = "U0ZOE"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def slack(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[OAuthHarness]:
    async with running_oauth(fake, "http", tmp_path) as harness:
        yield harness


async def _installed(slack: OAuthHarness) -> list[str]:
    found = [await slack.runtime.installations.find(t) for t in slack.fake.oauth.workspaces]  # type: ignore[union-attr]
    return [i.team_id for i in found if i is not None]


async def test_a_forged_state_is_refused_and_no_code_is_exchanged(slack: OAuthHarness) -> None:
    slack.fake.add_workspace("T0ZED", admin=ADMIN)
    redirect = f"{slack.base_url}/slack/oauth_redirect"
    forged = await slack.browser.get(f"{redirect}?{urlencode({'code': 'x', 'state': 'forged'})}")
    assert forged.status == 400 and "different browser" in forged.text  # no matching cookie
    host = urlsplit(slack.base_url).hostname or ""
    slack.browser.cookies[host] = {"slack-app-oauth-state": "forged"}
    forged = await slack.browser.get(f"{redirect}?{urlencode({'code': 'x', 'state': 'forged'})}")
    assert forged.status == 401 and "expired or was already used" in forged.text
    assert forged.button.endswith("/slack/install")
    assert [c.args.get("code") for c in slack.fake.calls_to("oauth.v2.access")] == [
        "rapport-start-up-credentials-check"
    ]
    assert await _installed(slack) == []


async def test_a_replayed_state_is_refused(slack: OAuthHarness) -> None:
    workspace = slack.fake.add_workspace("T0ZED", admin=ADMIN)
    start = await slack.browser.get(f"{slack.install_url}?team=T0ZED")
    cookies = {host: dict(jar) for host, jar in slack.browser.cookies.items()}
    approved = await slack.browser.get(start.button)
    assert approved.location
    first = await slack.browser.get(approved.location)
    assert first.status == 200 and await _installed(slack) == ["T0ZED"]

    slack.fake.oauth.uninstall(workspace)
    await slack.runtime.installations.delete("T0ZED")  # type: ignore[union-attr]
    slack.browser.cookies = cookies  # the same state and cookie, sent again
    replayed = await slack.browser.get(approved.location)
    assert replayed.status == 401 and "already used" in replayed.text
    assert await _installed(slack) == []


async def test_cancelling_on_slacks_page_installs_nothing(slack: OAuthHarness) -> None:
    slack.fake.add_workspace("T0ZED", admin=ADMIN)
    slack.fake.oauth.deny_next()
    page = await slack.browser.install(slack.install_url, "T0ZED")
    assert page.status == 200 and "You cancelled" in page.text
    assert await _installed(slack) == []


async def test_an_org_wide_install_is_refused_and_handed_back(slack: OAuthHarness) -> None:
    grid = slack.fake.add_workspace("T0GRID", admin=ADMIN, org_install=True)
    page = await slack.browser.install(slack.install_url, "T0GRID")
    assert page.status == 500 and "one workspace at a time" in page.text
    assert await _installed(slack) == []
    assert [c.ok for c in grid.calls_to("apps.uninstall")] == [True]
    assert not grid.installed


async def test_the_fake_refuses_tokens_as_slack_does(fake: FakeSlack) -> None:
    zed = fake.add_workspace("T0ZED", admin=ADMIN)
    for token, error in (
        (zed.bot_token, "invalid_auth"),  # not installed yet: never issued
        ("xoxb-made-up", "invalid_auth"),
        (None, "not_authed"),
    ):
        with pytest.raises(SlackApiError) as refused:
            await AsyncWebClient(token=token, base_url=fake.api_url).auth_test()
        assert refused.value.response["error"] == error
    zed.installed = True
    client = AsyncWebClient(token=zed.bot_token, base_url=fake.api_url)
    assert (await client.auth_test())["team_id"] == "T0ZED"
    with pytest.raises(SlackApiError) as other:  # another workspace's member
        await client.users_info(user="U0ALICE")
    assert other.value.response["error"] == "user_not_found"
    fake.oauth.uninstall(zed)
    with pytest.raises(SlackApiError) as revoked:
        await client.auth_test()
    assert revoked.value.response["error"] == "token_revoked"


async def test_tokens_and_secrets_never_reach_the_logs(fake: FakeSlack, tmp_path: Path) -> None:
    """Installing, using and uninstalling at DEBUG from every library: no token, no secret."""
    zed = fake.add_workspace("T0ZED", admin=ADMIN)
    settings = oauth_settings(fake, "socket", tmp_path)
    with production_logs("DEBUG", secret_values(settings)) as logs:
        async with running_oauth(fake, "socket", tmp_path) as slack:
            await slack.install(zed)
            await slack.on(zed).command("help", user=ADMIN)
            await slack.on(zed).handled(zed.uninstall())
    secrets = [zed.bot_token, fake.oauth.client_secret, TOKEN_KEY]
    assert "installed Rapport" in logs.getvalue()
    assert leaks(logs.getvalue(), secrets) == []


# --- start-up -----------------------------------------------------------------------------------


async def _start(fake: FakeSlack, tmp_path: Path, **settings: object) -> OperatorError:
    runtime = SlackRuntime(oauth_settings(fake, "http", tmp_path, **settings))
    rapport = build(runtime.settings, senders={"slack": runtime.sender})
    await rapport.start()
    try:
        with pytest.raises(OperatorError) as caught:
            await runtime.start(rapport)
    finally:
        await runtime.stop()
        await rapport.stop()
    return caught.value


@pytest.mark.parametrize(
    ("settings", "setting", "words"),
    [
        ({"SLACK_CLIENT_SECRET": None}, "SLACK_CLIENT_SECRET", "needs SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": "wrong"}, "SLACK_CLIENT_SECRET", "bad_client_secret"),
        ({"SLACK_CLIENT_ID": "111.222"}, "SLACK_CLIENT_ID", "invalid_client_id"),
        ({"RAPPORT_TOKEN_KEY": None}, "RAPPORT_TOKEN_KEY", "needs RAPPORT_TOKEN_KEY"),
        ({"RAPPORT_TOKEN_KEY": "not-a-key"}, "RAPPORT_TOKEN_KEY", "is not a Fernet key"),
        ({"SLACK_BOT_TOKEN": "xoxb-one"}, "SLACK_CLIENT_ID", "can't be used together"),
    ],
)
async def test_oauth_settings_slack_or_rapport_refuse_are_one_sentence(
    fake: FakeSlack, tmp_path: Path, settings: dict[str, object], setting: str, words: str
) -> None:
    err = await _start(fake, tmp_path, **settings)
    assert err.setting == setting and words in str(err)
    assert str(err).count(". ") == 0 and str(err).endswith(".")
    assert fake.oauth.client_secret not in str(err)


async def test_a_token_key_removed_too_early_is_refused_at_start_up(
    fake: FakeSlack, tmp_path: Path
) -> None:
    zed = fake.add_workspace("T0ZED", admin=ADMIN)
    old_key, new_key = TokenCipher.new_key(), TokenCipher.new_key()
    async with running_oauth(fake, "http", tmp_path, RAPPORT_TOKEN_KEY=old_key) as slack:
        assert (await slack.install(zed)).status == 200
    # rotation: the new key first, the old one still there: the token is re-encrypted
    rotated = f"{new_key},{old_key}"
    async with running_oauth(fake, "http", tmp_path, RAPPORT_TOKEN_KEY=rotated) as slack:
        assert slack.runtime.installations is not None
        found = await slack.runtime.installations.find("T0ZED")
        assert found is not None and found.bot_token == zed.bot_token
    # now the old key may go; a key that never wrote them is refused in one sentence
    async with running_oauth(fake, "http", tmp_path, RAPPORT_TOKEN_KEY=new_key) as slack:
        assert await slack.runtime.installations.find("T0ZED") is not None  # type: ignore[union-attr]
    err = await _start(fake, tmp_path, RAPPORT_TOKEN_KEY=TokenCipher.new_key())
    assert err.setting == "RAPPORT_TOKEN_KEY" and "1 workspace" in str(err)
