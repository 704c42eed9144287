"""Rapport in OAuth mode ("Add to Slack") against `FakeSlack` and its added workspaces.

`OAuthHarness` is a `SlackHarness` started with SLACK_CLIENT_ID instead of a bot token; in
Socket Mode it also runs the ops server, which serves the install pages (as `rapport run` does).
It registers the app's redirect URL with the fake (Slack's app config), installs a workspace
through a `Browser` (`/slack/install` → Slack's authorize page → `/slack/oauth_redirect`), and
`on(workspace)` gives a view of the harness that acts as that workspace's people.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.adapters.slack.manifest import INSTALL_PATH, REDIRECT_PATH
from bot.config import Settings
from bot.ops.server import OpsServer, start_ops_server

from .harness import Mode, SlackHarness, harness_settings
from .oauth import Browser, Page
from .server import FakeSlack

TOKEN_KEY = Fernet.generate_key().decode()


def oauth_settings(fake: FakeSlack, mode: Mode, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": None,
        "SLACK_CLIENT_ID": fake.oauth.client_id,
        "SLACK_CLIENT_SECRET": fake.oauth.client_secret,
        "RAPPORT_TOKEN_KEY": TOKEN_KEY,
    }
    values.update(extra)
    return harness_settings(fake, mode, tmp_path, **values)


class OAuthHarness(SlackHarness):
    ops: OpsServer | None = None

    async def start(self) -> OAuthHarness:
        await super().start()
        if self.mode == "socket":
            self.ops = await start_ops_server(self.settings, self.rapport, [self.runtime])
        self.fake.oauth.redirect_urls = [f"{self.base_url}{REDIRECT_PATH}"]
        self.browser = Browser()
        return self

    async def stop(self) -> None:
        await self.browser.close()
        if self.ops is not None:
            await self.ops.stop()
        await super().stop()

    @property
    def base_url(self) -> str:
        url = self.ops.url if self.ops is not None else self.runtime.http_url
        assert url is not None
        return url

    @property
    def install_url(self) -> str:
        return f"{self.base_url}{INSTALL_PATH}"

    async def install(self, workspace: FakeSlack) -> Page:
        return await self.browser.install(self.install_url, workspace.team_id)

    def on(self, workspace: FakeSlack) -> SlackHarness:
        """This harness, acting as `workspace`'s people (its payloads, DMs, response_urls)."""
        view = copy.copy(self)
        view.fake = workspace
        return view


@contextlib.asynccontextmanager
async def running_oauth(
    fake: FakeSlack, mode: Mode, tmp_path: Path, **extra: Any
) -> AsyncIterator[OAuthHarness]:
    harness = OAuthHarness(fake, oauth_settings(fake, mode, tmp_path, **extra))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
