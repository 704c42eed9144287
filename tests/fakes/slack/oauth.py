"""Slack's side of "Add to Slack" for `FakeSlack`: more workspaces, the authorize page, the
`oauth.v2.access` exchange, uninstalling; and `Browser`, a person's browser going through it.

A `FakeSlack` is the app's home workspace and the server. `add_workspace()` adds another
workspace (its own users, channels, DMs, messages and bot token) served by the same server, as
Slack serves every workspace at one URL: each Web API call is answered by the workspace its token
belongs to (so a token sees only its own workspace's data, and `auth.test` names it), a token
Slack never issued is `invalid_auth`, a revoked one `token_revoked`, none `not_authed`. Socket
Mode connections and acks are the app's, shared by every workspace.

The app's credentials (`client_id`, `client_secret`) and `redirect_urls` are what its Slack
config page holds. `GET /oauth/v2/authorize` stands for the person approving on Slack's page:
it checks the client id and redirect URL like Slack and sends the browser back with a one-time
`code` (or `error=access_denied` after `deny_next()`), for the workspace named by `team` (else
`signed_in_team`). `oauth.v2.access` answers in Slack's documented shape; a workspace added with
`org_install=True` answers as an Enterprise Grid org-wide install.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

import aiohttp
from aiohttp import web

from .errors import SlackError

if TYPE_CHECKING:
    from .server import FakeSlack

Args = dict[str, Any]
CREDENTIAL_METHODS = frozenset({"oauth.v2.access"})  # the app's client id and secret, no token


@dataclass
class Grant:
    team_id: str
    scope: str
    redirect_uri: str | None
    installer: str
    used: bool = False


class FakeOAuth:
    def __init__(self, home: FakeSlack, client_id: str, client_secret: str) -> None:
        self.home = home
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_urls: list[str] = []
        self.signed_in_team = home.team_id
        self.workspaces: dict[str, FakeSlack] = {}
        self.revoked: set[str] = set()
        self._grants: dict[str, Grant] = {}
        self._deny = False

    # --- workspaces -------------------------------------------------------------------------

    def add_workspace(
        self, team_id: str, *, admin: str, org_install: bool = False, **fields: Any
    ) -> FakeSlack:
        """Another workspace, with `admin` (its installer and an admin) and Rapport's bot user;
        the app is not installed there yet."""
        from .server import FakeSlack

        fields.setdefault("bot_user_id", f"U0BOT{team_id}")
        fields.setdefault("bot_id", f"B0BOT{team_id}")
        workspace = FakeSlack(
            team_id=team_id,
            team_domain=fields.pop("team_domain", team_id.lower()),
            app_id=self.home.app_id,
            app_token=self.home.app_token,
            signing_secret=self.home.signing_secret,
            bot_token=f"xoxb-{team_id}-{secrets.token_hex(8)}",
            clock=self.home.clock,
            default_users=False,
            **fields,
        )
        workspace.installed = False
        workspace.enterprise_id = f"E0{team_id}" if org_install else None
        workspace.org_install = org_install
        workspace.join(self.home)
        workspace.add_user(admin, name=admin.lower(), is_admin=True)
        bot = workspace.bot_user_id
        workspace.add_user(bot, name="rapport", is_bot=True, bot_id=workspace.bot_id)
        self.workspaces[team_id] = workspace
        return workspace

    def all(self) -> list[FakeSlack]:
        return [self.home, *self.workspaces.values()]

    def owner_of_token(self, token: str | None) -> FakeSlack:
        return next((w for w in self.workspaces.values() if w.bot_token == token), self.home)

    def workspace(self, team_id: str) -> FakeSlack | None:
        return next((w for w in self.all() if w.team_id == team_id), None)

    def check_token(self, workspace: FakeSlack, token: str) -> None:
        """A token of this workspace: never issued (not installed) or revoked is refused."""
        if token in self.revoked:
            raise SlackError("token_revoked")
        if token == workspace.bot_token and not workspace.installed:
            raise SlackError("invalid_auth")

    def uninstall(self, workspace: FakeSlack) -> None:
        """Someone removed the app from the workspace: every token it had stops working."""
        self.revoked.add(workspace.bot_token)
        workspace.installed = False

    # --- the person on Slack's authorize page ----------------------------------------------------

    def deny_next(self) -> None:
        """The next person on the authorize page presses Cancel."""
        self._deny = True

    async def handle_authorize(self, request: web.Request) -> web.Response:
        query = request.query
        await self.home.record_call("oauth.authorize", dict(query), request.path)
        if query.get("client_id") != self.client_id:
            return _slack_page(400, "invalid_client_id")
        redirect_uri = query.get("redirect_uri") or None
        target = redirect_uri or (self.redirect_urls[0] if self.redirect_urls else None)
        if target is None or target not in self.redirect_urls:
            return _slack_page(400, "bad_redirect_uri")
        back = {"state": query.get("state", "")}
        team = self.workspace(query.get("team") or self.signed_in_team)
        if self._deny or team is None:
            self._deny = False
            back["error"] = "access_denied"
        else:
            code = f"{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
            installer = next(u for u, user in team.users.items() if user["is_admin"])
            scope = query.get("scope", "")
            self._grants[code] = Grant(team.team_id, scope, redirect_uri, installer)
            back["code"] = code
        raise web.HTTPFound(f"{target}?{urlencode(back)}")

    # --- Web API ------------------------------------------------------------------------------

    def access(self, args: Args, token: str | None) -> dict[str, Any]:
        """`oauth.v2.access`: the code for the workspace's bot token, in Slack's shape."""
        self._check_credentials(args)
        grant = self._grants.get(str(args.get("code") or ""))
        if grant is None:
            raise SlackError("invalid_code")
        if grant.used:
            raise SlackError("code_already_used")
        if (args.get("redirect_uri") or None) != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        grant.used = True
        workspace = self.workspace(grant.team_id)
        assert workspace is not None
        workspace.installed = True
        self.revoked.discard(workspace.bot_token)
        org = workspace.org_install
        return {
            "ok": True,
            "access_token": workspace.bot_token,
            "token_type": "bot",
            "scope": grant.scope,
            "bot_user_id": workspace.bot_user_id,
            "app_id": self.home.app_id,
            "team": None if org else {"name": workspace.team_name, "id": workspace.team_id},
            "enterprise": (
                {"name": f"{workspace.team_name} Grid", "id": workspace.enterprise_id}
                if workspace.enterprise_id
                else None
            ),
            "authed_user": {"id": grant.installer},
            "is_enterprise_install": org,
        }

    def apps_uninstall(self, workspace: FakeSlack, args: Args) -> dict[str, Any]:
        self._check_credentials(args)
        self.uninstall(workspace)
        return {"ok": True}

    def _check_credentials(self, args: Args) -> None:
        if args.get("client_id") != self.client_id:
            raise SlackError("invalid_client_id")
        if args.get("client_secret") != self.client_secret:
            raise SlackError("bad_client_secret")


def _slack_page(status: int, error: str) -> web.Response:
    return web.Response(status=status, text=f"<p>Slack: {error}</p>", content_type="text/html")


# --- a person's browser ------------------------------------------------------------------------

_LINK = re.compile(r'<a class="button" href="([^"]+)"')


@dataclass
class Page:
    status: int
    text: str
    location: str | None

    @property
    def button(self) -> str:
        """Where the page's button leads."""
        found = _LINK.search(self.text)
        assert found, self.text
        return html.unescape(found.group(1))


class Browser:
    """Keeps cookies per host and follows nothing on its own, so each step can be checked."""

    def __init__(self) -> None:
        self.cookies: dict[str, dict[str, str]] = {}
        self._http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), trust_env=False)

    async def get(self, url: str) -> Page:
        host = aiohttp.client.URL(url).host or ""
        jar = self.cookies.setdefault(host, {})
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
        async with self._http.get(url, headers=headers, allow_redirects=False) as response:
            for name, morsel in response.cookies.items():
                jar[name] = morsel.value
            location = response.headers.get("Location")
            return Page(response.status, await response.text(), location)

    async def install(self, install_url: str, team_id: str | None = None) -> Page:
        """The whole flow: the Add to Slack page, Slack's page (approved), the page back home."""
        if team_id is not None:
            install_url = f"{install_url}?{urlencode({'team': team_id})}"
        start = await self.get(install_url)
        assert start.status == 200, start.text
        slack = await self.get(start.button)
        assert slack.status == 302 and slack.location, slack.text
        return await self.get(urljoin(start.button, slack.location))

    async def close(self) -> None:
        await self._http.close()


def basic_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """client_id / client_secret from an `Authorization: Basic` header (slack_sdk sends them so)."""
    header = headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return {}
    decoded = aiohttp.BasicAuth.decode(header)
    return {"client_id": decoded.login, "client_secret": decoded.password}
