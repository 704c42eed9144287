""" "Add to Slack" (OAuth v2) with slack-bolt's own flow, on Rapport's database.

`/slack/install` shows the Add to Slack page (the manifest's bot scopes, a fresh `state` kept
in the database and in a cookie); `/slack/oauth_redirect` is where Slack sends the browser back:
bolt checks the state against both (a forged, reused or expired one is refused), exchanges the
code (`oauth.v2.access`) and the installation store saves the bot token, encrypted. The pages
(`install_pages`) tell the person what to do next. Both paths are served on RAPPORT_HTTP_PORT:
by the Slack HTTP server in HTTP mode, by the ops server in Socket Mode.

An Enterprise Grid org-wide install is refused with its own page (the manifest doesn't offer
it): Rapport keys everything by workspace. The token Slack issued for it is handed back at once
(`apps.uninstall`), so the org isn't left with an app that answers nothing.

Per request, bolt's `AsyncInstallationStoreAuthorize` finds the workspace's bot token (cached by
`InstallationService`) and caches its `auth.test`, so an inbound event costs no extra call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urljoin

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import install_pages
from bot.adapters.slack.installations import RapportInstallationStore, RapportStateStore
from bot.adapters.slack.manifest import INSTALL_PATH, REDIRECT_PATH, bot_scopes, redirect_url
from bot.config import Settings
from bot.i18n.translate import _
from bot.ops.startup_errors import platform_unreachable, slack_rejected
from bot.service.installations import InstallationService

log = logging.getLogger(__name__)

STATE_SECONDS = 600  # an install must finish within ten minutes of opening /slack/install
AUTHORIZE_PATH = "../oauth/v2/authorize"  # beside the Web API: https://slack.com/oauth/v2/…
# oauth.v2.access with a code that can't exist: Slack checks the app's credentials first
CREDENTIALS_PROBE = "rapport-start-up-credentials-check"
REFUSED_CREDENTIALS = {
    "invalid_client_id": "SLACK_CLIENT_ID",
    "bad_client_id": "SLACK_CLIENT_ID",
    "bad_client_secret": "SLACK_CLIENT_SECRET",
}
HTML = {"Content-Type": "text/html; charset=utf-8"}


class OrgInstallRefused(BoltError):
    """An Enterprise Grid org-wide install: Rapport is installed per workspace."""


class RapportOAuthFlow(AsyncOAuthFlow):
    """bolt's flow with Rapport's install page and its refusal of org-wide installs."""

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        with install_pages.reading_browser(request.headers):
            return install_pages.install_page(url)

    async def store_installation(
        self, request: AsyncBoltRequest, installation: Installation
    ) -> None:
        if installation.is_enterprise_install or not installation.team_id:
            await self._hand_back(installation)
            raise OrgInstallRefused("org-wide installs are not supported")
        await super().store_installation(request, installation)

    async def _hand_back(self, installation: Installation) -> None:
        try:
            await self.client.apps_uninstall(
                client_id=self.settings.client_id,
                client_secret=self.settings.client_secret,
                token=installation.bot_token,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as err:
            log.warning("slack: couldn't hand back an org-wide install: %s", type(err).__name__)


async def _succeeded(args: AsyncSuccessArgs) -> BoltResponse:
    installed = args.installation
    with install_pages.reading_browser(args.request.headers):
        page = install_pages.success_page(installed.team_name, installed.team_id, installed.app_id)
    return BoltResponse(status=200, body=page, headers=dict(HTML))


def _failed(install_path: str) -> Callable[[AsyncFailureArgs], object]:
    async def failed(args: AsyncFailureArgs) -> BoltResponse:
        reason = "org_install" if isinstance(args.error, OrgInstallRefused) else args.reason
        log.info("slack: an installation did not complete: %s", reason)
        with install_pages.reading_browser(args.request.headers):
            page = install_pages.failure_page(reason, install_path)
        return BoltResponse(status=args.suggested_status_code, body=page, headers=dict(HTML))

    return failed


def authorization_url(settings: Settings) -> str | None:
    """Slack's authorize page beside SLACK_API_URL (a test's fake Slack); None: slack.com."""
    return urljoin(settings.slack_api_url, AUTHORIZE_PATH) if settings.slack_api_url else None


def oauth_flow(
    settings: Settings, installations: InstallationService, client: AsyncWebClient
) -> RapportOAuthFlow:
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=bot_scopes(),
        user_scopes=[],
        redirect_uri=redirect_url(settings),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=AsyncCallbackOptions(
            success=_succeeded,
            failure=_failed(INSTALL_PATH),  # type: ignore[arg-type]
        ),
        authorization_url=authorization_url(settings),
        installation_store=RapportInstallationStore(installations),
        installation_store_bot_only=True,
        state_store=RapportStateStore(installations, STATE_SECONDS),
        state_expiration_seconds=STATE_SECONDS,
        logger=log,
    )
    return RapportOAuthFlow(client=client, logger=log, settings=oauth_settings)


def authorize(flow: AsyncOAuthFlow, client: AsyncWebClient) -> AsyncInstallationStoreAuthorize:
    """Per request: the workspace's bot (one cached lookup) and its cached `auth.test`."""
    return AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=flow.settings.installation_store,
        client_id=flow.settings.client_id,
        client_secret=flow.settings.client_secret,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )


def oauth_routes(flow_of: Callable[[], AsyncOAuthFlow | None]) -> list[web.RouteDef]:
    """GET /slack/install and /slack/oauth_redirect; 503 until the flow is ready (start-up)."""

    async def install(request: web.Request) -> web.Response:
        flow = flow_of()
        if flow is None:
            return _starting(request)
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def redirect(request: web.Request) -> web.Response:
        flow = flow_of()
        if flow is None:
            return _starting(request)
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    return [web.get(INSTALL_PATH, install), web.get(REDIRECT_PATH, redirect)]


def _starting(request: web.Request) -> web.Response:
    """503 before the flow is ready, in the browser's language."""
    with install_pages.reading_browser(request.headers):
        return web.Response(status=503, text=_(install_pages.STARTING))


async def check_credentials(client: AsyncWebClient, settings: Settings) -> None:
    """Start-up: Slack refusing SLACK_CLIENT_ID or SLACK_CLIENT_SECRET is fatal.

    There is no call that only checks them; `oauth.v2.access` with a code that can't exist
    answers `invalid_code` when they are right, and names the wrong one otherwise."""
    try:
        await client.oauth_v2_access(
            client_id=settings.slack_client_id or "",
            client_secret=settings.slack_client_secret or "",
            code=CREDENTIALS_PROBE,
        )
    except SlackApiError as err:
        error = str(err.response.get("error"))
        if error in REFUSED_CREDENTIALS:
            raise slack_rejected(REFUSED_CREDENTIALS[error], error) from None
    except (aiohttp.ClientError, OSError) as err:
        raise platform_unreachable("Slack", "SLACK_API_URL", err) from None
