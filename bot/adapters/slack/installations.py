"""Each Slack workspace's token: slack_sdk's installation and state stores on Rapport's database,
and the Web API client for a workspace.

`RapportInstallationStore` and `RapportStateStore` implement slack_sdk's `AsyncInstallationStore`
and `AsyncOAuthStateStore` over `InstallationService` (encrypted tokens, cached lookups), for
bolt's OAuth flow and its per-request authorize. Rapport asks for bot scopes only, so an
installation is its bot; there are no user tokens to keep.

Outside a listener (the outbox sender, the channel directory) a workspace's client comes from
`WorkspaceClients.client_for`: `OneWorkspace` in single-token mode (SLACK_BOT_TOKEN), or
`InstalledWorkspaces`, which builds one client per installed workspace on the shared measured
session and raises `NotInstalled` for a workspace that has none (it uninstalled Rapport).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.client import with_token
from bot.service.installations import InstallationService, Installed

log = logging.getLogger(__name__)


class NotInstalled(Exception):
    """No installation (so no token) for this workspace: it removed Rapport, or never had it."""

    def __init__(self, workspace_id: str) -> None:
        super().__init__(workspace_id)
        self.workspace_id = workspace_id


def _installed_from(bot: Bot, installer_user_id: str | None = None) -> Installed:
    if not bot.team_id:  # an org-wide install; `oauth.RapportOAuthFlow` refuses those first
        raise ValueError("Rapport stores workspace installations only")
    return Installed(
        team_id=bot.team_id,
        bot_user_id=bot.bot_user_id,
        bot_id=bot.bot_id,
        bot_token=bot.bot_token,
        bot_scopes=tuple(bot.bot_scopes),
        enterprise_id=bot.enterprise_id,
        app_id=bot.app_id,
        team_name=bot.team_name,
        installer_user_id=installer_user_id,
        installed_at=datetime.fromtimestamp(bot.installed_at, UTC),
    )


def _bot_from(installed: Installed) -> Bot:
    return Bot(
        app_id=installed.app_id,
        enterprise_id=installed.enterprise_id,
        team_id=installed.team_id,
        team_name=installed.team_name,
        bot_token=installed.bot_token,
        bot_id=installed.bot_id,
        bot_user_id=installed.bot_user_id,
        bot_scopes=list(installed.bot_scopes),
        installed_at=(installed.installed_at or datetime.now(UTC)).timestamp(),
    )


class RapportInstallationStore(AsyncInstallationStore):
    def __init__(self, installations: InstallationService) -> None:
        self.installations = installations

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await self.installations.save(_installed_from(installation.to_bot(), installation.user_id))

    async def async_save_bot(self, bot: Bot) -> None:
        await self.installations.save(_installed_from(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        installed = await self.installations.find(team_id) if team_id else None
        return _bot_from(installed) if installed else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        installed = await self.installations.find(team_id) if team_id else None
        if installed is None or (user_id is not None and user_id != installed.installer_user_id):
            return None
        bot = _bot_from(installed)
        return Installation(
            app_id=bot.app_id,
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            team_name=bot.team_name,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
            user_id=installed.installer_user_id or "",
            installed_at=bot.installed_at,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        if team_id:
            await self.installations.delete(team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if team_id and user_id is None:  # a user's own token: Rapport never keeps one
            await self.installations.delete(team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class RapportStateStore(AsyncOAuthStateStore):
    """Each install flow's `state`, in the database: valid once, for `expiration_seconds`,
    whichever process serves the redirect."""

    def __init__(self, installations: InstallationService, expiration_seconds: int) -> None:
        self.installations = installations
        self.lifetime = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        return await self.installations.issue_state(self.lifetime)

    async def async_consume(self, state: str) -> bool:
        return await self.installations.consume_state(state)


class WorkspaceClients(Protocol):
    async def client_for(self, workspace_id: str) -> AsyncWebClient: ...

    async def bot_user_id(self, workspace_id: str) -> str | None: ...


class OneWorkspace:
    """Single-token mode: every workspace id gets the one client (SLACK_BOT_TOKEN)."""

    def __init__(self, client: AsyncWebClient, bot_user_id: str | None = None) -> None:
        self.client = client
        self.own_bot_user_id = bot_user_id

    async def client_for(self, workspace_id: str) -> AsyncWebClient:
        return self.client

    async def bot_user_id(self, workspace_id: str) -> str | None:
        return self.own_bot_user_id


class InstalledWorkspaces:
    """OAuth mode: a client per installed workspace, with that workspace's bot token."""

    def __init__(self, base: AsyncWebClient) -> None:
        self.base = base
        self.installations: InstallationService | None = None
        self._clients: dict[str, tuple[str, AsyncWebClient]] = {}

    def bind(self, installations: InstallationService) -> None:
        self.installations = installations

    async def _installed(self, workspace_id: str) -> Installed:
        found = await self.installations.find(workspace_id) if self.installations else None
        if found is None:
            self._clients.pop(workspace_id, None)
            raise NotInstalled(workspace_id)
        return found

    async def client_for(self, workspace_id: str) -> AsyncWebClient:
        installed = await self._installed(workspace_id)
        known = self._clients.get(workspace_id)
        if known is not None and known[0] == installed.bot_token:
            return known[1]
        client = with_token(self.base, installed.bot_token)
        self._clients[workspace_id] = (installed.bot_token, client)
        return client

    async def bot_user_id(self, workspace_id: str) -> str | None:
        return (await self._installed(workspace_id)).bot_user_id


def clients_of(client: AsyncWebClient | WorkspaceClients) -> WorkspaceClients:
    """A plain client (single token, tests) as `WorkspaceClients`."""
    return OneWorkspace(client) if isinstance(client, AsyncWebClient) else client
