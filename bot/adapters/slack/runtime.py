"""`SlackRuntime`: the Slack side of `rapport run`, in Socket Mode (default) or HTTP mode.

One `AsyncWebClient` (honouring `SLACK_API_URL`, with slack_sdk's retry handlers for 429 and
connection errors) serves both the outbox sender and a slack-bolt `AsyncApp`. Socket Mode
connects with the app-level token; HTTP mode serves `/slack/events` (signature-checked by bolt)
and `/healthz` on `RAPPORT_HTTP_PORT` (0 picks a free port; `http_url` tells which).
"""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.handlers import Registration, SlackHandlers, register
from bot.adapters.slack.manifest import EVENTS_PATH
from bot.adapters.slack.sender import SlackSender
from bot.adapters.slack.wire import PLATFORM
from bot.bootstrap import Rapport
from bot.config import Settings

log = logging.getLogger(__name__)

HTTP_HOST = "0.0.0.0"


def make_client(settings: Settings) -> AsyncWebClient:
    """The Web API client; `SLACK_API_URL` points it at another base (tests, proxies)."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or AsyncWebClient.BASE_URL,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def web_app(app: AsyncApp) -> web.Application:
    """HTTP mode: Slack's request URL plus a health check."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    application = web.Application()
    application.router.add_post(EVENTS_PATH, events)
    application.router.add_get("/healthz", healthz)
    return application


class SlackRuntime:
    platform = PLATFORM

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = make_client(settings)
        self.sender = SlackSender(self.client)
        self.app: AsyncApp | None = None
        self.handlers: SlackHandlers | None = None
        self.registration: Registration | None = None
        self.http_url: str | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, rapport: Rapport) -> None:
        self._check_tokens()
        self.sender.bind(rapport.members)
        auth = await self.client.auth_test()
        log.info("slack: connected to %s as %s", auth.get("team"), auth.get("user"))
        self.app = AsyncApp(
            client=self.client,
            signing_secret=self.settings.slack_signing_secret or "",
            process_before_response=False,
        )
        self.handlers = SlackHandlers(rapport, self.settings)
        self.registration = register(self.app, self.handlers)
        if self.settings.slack_mode == "http":
            await self._serve_http(self.app)
        else:
            await self._connect_socket(self.app)

    def _check_tokens(self) -> None:
        if self.settings.slack_mode == "http" and not self.settings.slack_signing_secret:
            raise RuntimeError("RAPPORT_SLACK_MODE=http needs SLACK_SIGNING_SECRET")
        if self.settings.slack_mode == "socket" and not self.settings.slack_app_token:
            raise RuntimeError(
                "Socket Mode needs SLACK_APP_TOKEN (an app-level token with connections:write)"
            )

    async def _connect_socket(self, app: AsyncApp) -> None:
        self._socket = AsyncSocketModeHandler(app, app_token=self.settings.slack_app_token)
        await self._socket.connect_async()
        log.info("slack: Socket Mode connected")

    async def _serve_http(self, app: AsyncApp) -> None:
        self._runner = web.AppRunner(web_app(app), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HTTP_HOST, self.settings.http_port).start()
        port = self._runner.addresses[0][1]
        self.http_url = f"http://127.0.0.1:{port}"
        log.info("slack: HTTP mode listening on port %d (%s)", port, EVENTS_PATH)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
