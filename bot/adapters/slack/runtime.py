"""`SlackRuntime`: the slack-bolt `AsyncApp` bound to Rapport, in Socket Mode or HTTP mode.

Socket Mode needs `SLACK_APP_TOKEN`; HTTP mode needs `SLACK_SIGNING_SECRET` and serves
`/slack/events` on `RAPPORT_HTTP_PORT`, together with `/healthz` and `/metrics` (the runner then
starts no second server on that port). Port 0 picks a free port; `http_url` tells which.

With SLACK_CLIENT_ID instead of SLACK_BOT_TOKEN, any workspace installs Rapport ("Add to Slack",
see `oauth`): bolt authorizes each request with that workspace's token, the sender and the
directory use it too (`installations.InstalledWorkspaces`), and `/slack/install` and
`/slack/oauth_redirect` are served on RAPPORT_HTTP_PORT (`web_routes`; in Socket Mode the ops
server mounts them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.slack import oauth
from bot.adapters.slack.client import make_client, make_session
from bot.adapters.slack.departures import register_departures
from bot.adapters.slack.directory import SlackDirectory
from bot.adapters.slack.handlers import SlackHandlers
from bot.adapters.slack.installations import InstalledWorkspaces, OneWorkspace
from bot.adapters.slack.listening import Registration, register
from bot.adapters.slack.manifest import EVENTS_PATH, INSTALL_PATH
from bot.adapters.slack.sender import SlackSender
from bot.adapters.slack.wire import PLATFORM
from bot.bootstrap import Rapport
from bot.config import Settings
from bot.ops.server import add_ops_routes
from bot.ops.startup_errors import (
    conflicting_settings,
    invalid_token_key,
    missing_setting,
    platform_unreachable,
    slack_rejected,
    unreadable_tokens,
)
from bot.service.departures import Departures
from bot.service.installations import InstallationService, UnreadableTokens
from bot.store.token_cipher import TokenCipher, TokenKeyError

log = logging.getLogger(__name__)


def web_app(
    app: AsyncApp, rapport: Rapport | None = None, routes: list[web.RouteDef] | None = None
) -> web.Application:
    """HTTP mode: Slack's request URL, plus `/healthz` and `/metrics` when given the core, and
    `routes` (the install pages)."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    application = web.Application()
    application.router.add_post(EVENTS_PATH, events)
    application.add_routes(routes or [])
    if rapport is not None:
        add_ops_routes(application, rapport)
    return application


def bolt_logger() -> logging.Logger:
    """The logger slack-bolt (and its Socket Mode client) use, with no level of its own.

    Left to itself, bolt copies the root logger's level into its loggers when the app is built,
    so with RAPPORT_LOG_LEVEL=DEBUG it would log whole envelopes - answers included - past the
    cap `bot.ops.logging` puts on `slack_bolt`. A logger without a level inherits that cap.
    """
    logger = logging.getLogger("slack_bolt.rapport")
    logger.setLevel(logging.NOTSET)
    return logger


def _session_if_running_loop() -> aiohttp.ClientSession | None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    return make_session()


class SlackRuntime:
    platform = PLATFORM

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # one measured aiohttp session for every Web API call (see `client`)
        self.session = _session_if_running_loop()
        self.client = make_client(settings, self.session)
        # every workspace's client: the one token, or each installed workspace's own
        self.clients = (
            InstalledWorkspaces(self.client) if settings.slack_oauth else OneWorkspace(self.client)
        )
        self.sender = SlackSender(self.clients)
        self.directory = SlackDirectory(self.clients, settings.slack_lead_ids())
        self.installations: InstallationService | None = None
        self.oauth_flow: oauth.RapportOAuthFlow | None = None
        self.app: AsyncApp | None = None
        self.handlers: SlackHandlers | None = None
        self.registration: Registration | None = None
        self.http_url: str | None = None
        self.bot_user_id: str | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None

    @property
    def connected(self) -> bool:
        """Socket Mode: the websocket is open. HTTP mode: the server is listening."""
        if self._socket is not None:
            client = self._socket.client
            session = getattr(client, "current_session", None)
            return bool(
                not getattr(client, "closed", True)
                and not getattr(client, "stale", False)
                and session is not None
                and not session.closed
            )
        return self._runner is not None and self.http_url is not None

    async def start(self, rapport: Rapport) -> None:
        cipher = self._check_tokens()
        if self.session is None:
            self.session = self.client.session = make_session()
        self.sender.bind(rapport.members, rapport.languages)
        rapport.languages.lookups["slack"] = self.sender.locale_of
        if cipher is not None:
            await self._open_installations(rapport, cipher)
        else:
            auth = await self._checked("SLACK_BOT_TOKEN", self.client.auth_test())
            self.bot_user_id = auth.get("user_id")
            if isinstance(self.clients, OneWorkspace):
                self.clients.own_bot_user_id = self.bot_user_id
            log.info("slack: connected to %s as %s", auth.get("team"), auth.get("user"))
        self.app = AsyncApp(
            client=self.client,
            signing_secret=self.settings.slack_signing_secret or "",
            process_before_response=True,  # listeners hand off after ack (listening.tracked)
            logger=bolt_logger(),
            **self._oauth_options(),
        )
        self.handlers = SlackHandlers(
            rapport, self.settings, directory=self.directory, bot_user_id=self.bot_user_id
        )
        self.registration = register(self.app, self.handlers)
        departures = Departures(rapport.service, rapport.sync_session_jobs)
        self.registration.events += register_departures(
            self.app, departures, self.handlers.activity
        )
        if self.settings.slack_mode == "http":
            await self._serve_http(self.app, rapport)
        else:
            await self._connect_socket(self.app)

    def _check_tokens(self) -> TokenCipher | None:
        """The settings each mode needs; in OAuth mode, the cipher for the stored tokens."""
        if self.settings.slack_mode == "http" and not self.settings.slack_signing_secret:
            raise missing_setting("SLACK_SIGNING_SECRET", "RAPPORT_SLACK_MODE=http")
        if self.settings.slack_mode == "socket" and not self.settings.slack_app_token:
            raise missing_setting("SLACK_APP_TOKEN", "Socket Mode (RAPPORT_SLACK_MODE=socket)")
        if not self.settings.slack_oauth:
            return None
        if self.settings.slack_bot_token:
            raise conflicting_settings(
                "SLACK_BOT_TOKEN",
                "SLACK_CLIENT_ID",
                "keep SLACK_BOT_TOKEN for one workspace, or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET for many, and empty the other",
            )
        many = "Installing into many workspaces (SLACK_CLIENT_ID)"
        if not self.settings.slack_client_secret:
            raise missing_setting("SLACK_CLIENT_SECRET", many)
        if not self.settings.token_key:
            raise missing_setting("RAPPORT_TOKEN_KEY", many)
        try:
            return TokenCipher(self.settings.token_key)
        except TokenKeyError as err:
            raise invalid_token_key(str(err)) from None

    async def _open_installations(self, rapport: Rapport, cipher: TokenCipher) -> None:
        await oauth.check_credentials(self.client, self.settings)
        self.installations = InstallationService(rapport.db, cipher, rapport.service.clock)
        try:
            rotated = await self.installations.reencrypt()
        except UnreadableTokens as err:
            raise unreadable_tokens(len(err.team_ids)) from None
        if rotated:
            log.info("slack: re-encrypted %d workspace tokens under the first key", rotated)
        assert isinstance(self.clients, InstalledWorkspaces)
        self.clients.bind(self.installations)
        self.oauth_flow = oauth.oauth_flow(self.settings, self.installations, self.client)
        log.info("slack: serving every workspace that installs Rapport at %s", INSTALL_PATH)

    def _oauth_options(self) -> dict[str, Any]:
        """AsyncApp arguments: bolt's OAuth flow and a cached authorize (OAuth mode only)."""
        if self.oauth_flow is None:
            return {}
        return {
            "oauth_flow": self.oauth_flow,
            "authorize": oauth.authorize(self.oauth_flow, self.client),
        }

    def web_routes(self) -> list[web.RouteDef]:
        """The install pages (OAuth mode), for whichever server owns RAPPORT_HTTP_PORT."""
        return oauth.oauth_routes(lambda: self.oauth_flow) if self.settings.slack_oauth else []

    @staticmethod
    async def _checked(setting: str, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        """A start-up call: Slack refusing the token, or being out of reach, is fatal."""
        try:
            return await call
        except SlackApiError as err:
            raise slack_rejected(setting, str(err.response.get("error"))) from None
        except (aiohttp.ClientError, OSError) as err:
            raise platform_unreachable("Slack", "SLACK_API_URL", err) from None

    async def _connect_socket(self, app: AsyncApp) -> None:
        token = self.settings.slack_app_token
        # slack_sdk retries a refused app token every 10 s forever: ask once ourselves first
        opened = await self._checked(
            "SLACK_APP_TOKEN", self.client.apps_connections_open(app_token=token)
        )
        self._socket = AsyncSocketModeHandler(app, app_token=token)
        self._socket.client.wss_uri = opened["url"]
        await self._socket.connect_async()
        log.info("slack: Socket Mode connected")

    async def _serve_http(self, app: AsyncApp, rapport: Rapport) -> None:
        self._runner = web.AppRunner(web_app(app, rapport, self.web_routes()), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port).start()
        port = self._runner.addresses[0][1]
        self.http_url = f"http://127.0.0.1:{port}"
        log.info(
            "slack: HTTP mode listening on port %d (%s, /healthz, /metrics)",
            port,
            EVENTS_PATH,
            extra={"port": port},
        )

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.http_url = None
        if self.handlers is not None:
            await self.handlers.drain()
        if self.session is not None:
            await self.session.close()
            self.session = None
            self.client.session = None
