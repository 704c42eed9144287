"""A fake Slack (Web API + Socket Mode websocket) for the real slack_sdk / slack-bolt clients.

`FakeSlack` serves on 127.0.0.1, port 0:

* `api_url` (`http://127.0.0.1:PORT/api/`, slack_sdk's `base_url` form, trailing slash) answers
  Web API methods, reading arguments from the query string, form and JSON bodies merged;
* `apps.connections.open` hands out `ws://127.0.0.1:PORT/link/?ticket=...`; the websocket sends
  `hello` like Slack, `send_envelope()` pushes envelopes and `wait_ack()` returns the app's ack;
* `/commands/...` and `/actions/...` are response_urls, `/upload/v1/...` the files upload URL.

Every API call is recorded in `calls` (and passed to each `on_call` callback); waiting is done on
an `asyncio.Condition` that is notified on every recorded call, socket connection and ack
(`wait_for`), never by sleeping. `hold()` keeps a method's requests unanswered until released.

Faults, as Slack has them: `fail_next()` queues failures for a method's next calls (429 with
Retry-After, 5xx, `ok: false`, a dropped connection), and `stored=True` makes one that Slack
carried out before its answer was lost; `inject_faults()` gives a method random faults at fixed
rates (seeded); `hold(stored=True)` keeps the answer to a request already carried out. Events
API redelivery: `deliver_event()` sends an event again, with `retry_attempt` (Socket Mode) or
`X-Slack-Retry-Num` (HTTP), while the app does not ack it, up to three times like Slack.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web

from .blocks import check_blocks, check_view
from .errors import SlackError
from .oauth import CREDENTIAL_METHODS, FakeOAuth, basic_credentials
from .payloads import Clock, EnvelopeType, Inbound, PayloadFactory

T = TypeVar("T")
Args = dict[str, Any]

MESSAGE_TEXT_MAX = 40_000
TRIGGER_TTL_SECONDS = 3.0
EVENT_RETRIES = 3  # Slack redelivers an unacknowledged Events API request up to three times
PING_PATTERN = re.compile(
    r"<(@[UW][A-Z0-9]+|!(?:here|channel|everyone)|!subteam\^[A-Z0-9]+)(?:\|[^>]*)?>"
)


@dataclass
class ApiCall:
    """One recorded request: a Web API method, or `response_url` / `files.upload` posts."""

    method: str
    args: Args
    token: str | None
    status: int
    response: dict[str, Any]
    path: str = ""
    at: float = field(default_factory=time.monotonic)
    answer_lost: bool = False  # carried out, but the app got an error or no answer at all

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class Failure:
    """A fault queued by `fail_next` for the next call of one method."""

    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    disconnect: bool = False
    stored: bool = False  # Slack carried the request out; only the answer is lost
    withheld_seconds: float = 0.0  # a stored request's answer comes this late (or never)


@dataclass(frozen=True)
class FaultRates:
    """Random faults for one method's calls, each a fraction of them (`inject_faults`)."""

    server_error: float = 0.0  # HTTP 500, nothing done
    rate_limited: float = 0.0  # HTTP 429 + Retry-After: 1, nothing done
    stored_then_error: float = 0.0  # done, then answered HTTP 503
    stored_then_dropped: float = 0.0  # done, then the connection closed unanswered
    stored_then_withheld: float = 0.0  # done, the answer withheld `withheld_seconds`, dropped
    withheld_seconds: float = 15.0

    def draw(self, rng: random.Random) -> Failure | None:
        roll = rng.random()
        for rate, failure in (
            (self.server_error, Failure(status=500, error="internal_error")),
            (self.rate_limited, Failure(status=429, headers={"Retry-After": "1"})),
            (self.stored_then_error, Failure(status=503, error="service_unavailable", stored=True)),
            (self.stored_then_dropped, Failure(disconnect=True, stored=True)),
            (
                self.stored_then_withheld,
                Failure(disconnect=True, stored=True, withheld_seconds=self.withheld_seconds),
            ),
        ):
            if roll < rate:
                return failure
            roll -= rate
        return None


@dataclass
class Hold:
    """Requests of one method held unanswered (`FakeSlack.hold`) until `release()`.

    A held request is still processed after the release, even if its client has gone away
    meanwhile: Slack has it, whether or not the sender lived to see the answer.
    """

    method: str
    applies: Callable[[Args], bool]
    stored: bool = False  # carry the request out first, hold only its answer
    released: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0

    def release(self) -> None:
        self.released.set()


@dataclass
class AppReply:
    """The app's HTTP answer to a request posted by `FakeSlack.post_to_app`."""

    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


def find_pings(message: Mapping[str, Any]) -> list[str]:
    """Mentions in a message's text and blocks that would notify someone (`@U…`, `!here`…)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.extend(PING_PATTERN.findall(node))
        elif isinstance(node, Mapping):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("text"))
    walk(message.get("blocks"))
    return found


def make_user(
    user_id: str,
    *,
    team_id: str,
    name: str | None = None,
    real_name: str | None = None,
    display_name: str | None = None,
    tz: str = "Europe/Berlin",
    is_admin: bool = False,
    is_owner: bool = False,
    is_bot: bool = False,
    bot_id: str = "B0BOT",
    deleted: bool = False,
    locale: str = "en-US",
) -> dict[str, Any]:
    """A `users.info` user object with the fields the bot reads (`locale` is only returned
    when asked for with `include_locale`, as Slack does)."""
    handle = name or user_id.lower()
    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    profile: dict[str, Any] = {
        "real_name": real_name or handle.title(),
        "real_name_normalized": real_name or handle.title(),
        "display_name": handle if display_name is None else display_name,
        "display_name_normalized": handle if display_name is None else display_name,
        "image_72": f"https://avatars.example/{user_id}.png",
        "team": team_id,
    }
    if is_bot:
        profile["bot_id"] = bot_id
    return {
        "id": user_id,
        "team_id": team_id,
        "name": handle,
        "deleted": deleted,
        "locale": locale,
        "real_name": profile["real_name"],
        "tz": tz,
        "tz_label": tz,
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "profile": profile,
        "is_admin": is_admin,
        "is_owner": is_owner,
        "is_primary_owner": is_owner,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": 1_700_000_000,
    }


def _json_arg(args: Args, key: str, error: str) -> Any:
    """Blocks/views arrive as JSON strings (form, query) or objects (JSON body)."""
    value = args.get(key)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise SlackError(error, [f"invalid JSON [json-pointer:/{key}]"]) from None


def _failure_body(failure: Failure) -> dict[str, Any]:
    error = failure.error or ("ratelimited" if failure.status == 429 else "fatal_error")
    return {"ok": False, "error": error}


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().removeprefix("offset:"))
    except ValueError:
        raise SlackError("invalid_cursor") from None


MAX_PAGE = 1000  # Slack's largest page for cursor-paginated methods


def _page(items: list[Any], args: Args, default_limit: int) -> tuple[list[Any], str]:
    """One page from the cursor on; a `limit` over MAX_PAGE gets MAX_PAGE items, as on Slack
    (no limit where `default_limit` is 0, e.g. users.list: Slack tries to send everything)."""
    start = _decode_cursor(args.get("cursor"))
    limit = int(args.get("limit") or default_limit)
    if limit > MAX_PAGE:
        limit = MAX_PAGE
    end = len(items) if limit <= 0 else start + limit
    return items[start:end], (_encode_cursor(end) if end < len(items) else "")


def _json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Exactly `application/json` (no charset), as Slack answers."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )


async def _read_args(request: web.Request) -> Args:
    """Query string, form body and JSON body merged (slack_sdk uses all three)."""
    args: Args = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return args
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            args.update(body)
    else:
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


def _token(request: web.Request, args: Args) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    token = args.pop("token", None)
    return str(token) if token else None


DEFAULT_USERS: tuple[dict[str, Any], ...] = (
    {"user_id": "U0ALICE", "name": "alice", "tz": "Europe/Berlin", "is_admin": True},
    {"user_id": "U0BOB", "name": "bob", "tz": "America/New_York"},
    {"user_id": "U0CAROL", "name": "carol", "tz": "Asia/Tokyo"},
    # Real quirk: Slackbot is listed by users.list with is_bot=false.
    {"user_id": "USLACKBOT", "name": "slackbot", "tz": "America/Los_Angeles"},
)
DEFAULT_CHANNEL = "C0GENERAL"


class FakeSlack:
    """Fake Slack Web API + Socket Mode server. Use `async with FakeSlack() as fake:`."""

    def __init__(
        self,
        *,
        team_id: str = "T0RAPPORT",
        team_domain: str = "rapport-test",
        app_id: str = "A0RAPPORT",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-1-fake-app-token",
        signing_secret: str = "fake-signing-secret",
        clock: Clock = time.time,
        default_users: bool = True,
        team_name: str = "Rapport Test",
        client_id: str = "1234567890.9876543210",
        client_secret: str = "fake-client-secret",
    ) -> None:
        self.team_id, self.team_domain, self.app_id = team_id, team_domain, app_id
        self.team_name = team_name
        # the bot token works (single-token tests; an added workspace once it installs the app)
        self.installed = True
        self.enterprise_id: str | None = None
        self.org_install = False
        self.oauth = FakeOAuth(self, client_id, client_secret)
        self.bot_user_id, self.bot_id = bot_user_id, bot_id
        self.bot_token, self.app_token, self.signing_secret = bot_token, app_token, signing_secret
        self.clock = clock
        self.calls: list[ApiCall] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, list[str]] = {}
        self.unreachable_channels: set[str] = set()
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.conversations_open_count: Counter[str] = Counter()
        self.envelopes: dict[str, dict[str, Any]] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.hellos: list[dict[str, Any]] = []
        self._dm_channels: dict[frozenset[str], str] = {}
        self._failures: dict[str, list[Failure]] = {}
        self._fault_rates: dict[str, FaultRates] = {}
        self._rng = random.Random(0)
        self._holds: dict[str, Hold] = {}
        self.on_call: list[Callable[[ApiCall], None]] = []
        self._tickets: set[str] = set()
        self._used_triggers: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._port = 0
        self._payloads: PayloadFactory | None = None
        self._methods: dict[str, Callable[[Args, str | None], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "conversations.open": self._conversations_open,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "oauth.v2.access": lambda args, token: self.oauth.access(args, token),
            "apps.uninstall": lambda args, token: self.oauth.apps_uninstall(self, args),
        }
        if default_users:
            for spec in DEFAULT_USERS:
                self.add_user(**spec)
            self.add_user(bot_user_id, name="rapport", is_bot=True, bot_id=bot_id)
            humans = [u["user_id"] for u in DEFAULT_USERS if u["user_id"] != "USLACKBOT"]
            self.add_channel(DEFAULT_CHANNEL, [*humans, bot_user_id])

    # ============================================================ lifecycle

    async def start(self) -> Self:
        """Serve on 127.0.0.1 with an OS-chosen port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/link/", self._handle_socket)
        app.router.add_post("/commands/{tail:.*}", self._handle_response_url)
        app.router.add_post("/actions/{tail:.*}", self._handle_response_url)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_get("/oauth/v2/authorize", self.oauth.handle_authorize)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._http = aiohttp.ClientSession(trust_env=False)
        self._payloads = PayloadFactory(
            team_id=self.team_id,
            team_domain=self.team_domain,
            api_app_id=self.app_id,
            bot_user_id=self.bot_user_id,
            hooks_url=self.base_url,
            clock=self.clock,
        )
        return self

    async def stop(self) -> None:
        """Close websockets (going away), the helper HTTP session and the server."""
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"fake slack stopping")
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def join(self, home: FakeSlack) -> None:
        """Be another workspace served by `home`'s server (see `oauth.FakeOAuth.add_workspace`):
        the app's connections, acks and ids are shared, the workspace's data is its own."""
        self.oauth = home.oauth
        self._ids, self._changed = home._ids, home._changed
        self._sockets, self._tickets = home._sockets, home._tickets
        self.acks, self.hellos, self.envelopes = home.acks, home.hellos, home.envelopes
        self._port, self._http = home._port, home._http
        self._payloads = PayloadFactory(
            team_id=self.team_id,
            team_domain=self.team_domain,
            api_app_id=self.app_id,
            bot_user_id=self.bot_user_id,
            hooks_url=home.base_url,
            clock=self.clock,
        )

    def add_workspace(self, team_id: str, *, admin: str, **fields: Any) -> FakeSlack:
        """Another workspace on this server (`oauth.FakeOAuth.add_workspace`)."""
        return self.oauth.add_workspace(team_id, admin=admin, **fields)

    def uninstall(self) -> Inbound:
        """Someone removes the app from this workspace: its tokens stop working; returns the
        `app_uninstalled` event Slack then sends."""
        self.oauth.uninstall(self)
        return self.payloads.app_uninstalled()

    # ================================================================ URLs

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """slack_sdk `base_url`: must end with `/` (methods are urljoin'ed onto it)."""
        return f"{self.base_url}/api/"

    @property
    def socket_url(self) -> str:
        """The websocket endpoint; `apps.connections.open` adds a one-off `ticket`."""
        return f"ws://127.0.0.1:{self._port}/link/"

    @property
    def payloads(self) -> PayloadFactory:
        """Inbound payload builders bound to this workspace (response_urls point here)."""
        if self._payloads is None:
            raise RuntimeError("FakeSlack is not started")
        return self._payloads

    # ========================================================= workspace data

    def add_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """Registers (or replaces) a user; see `make_user` for the fields."""
        self.users[user_id] = make_user(user_id, team_id=self.team_id, **fields)
        return self.users[user_id]

    def add_channel(self, channel_id: str, members: Iterable[str]) -> None:
        self.channels[channel_id] = list(members)

    def dm_channel(self, user_id: str) -> str:
        """The stable IM channel id between the bot and `user_id` (created on first use)."""
        return self._dm_for(frozenset({user_id}))

    def _dm_for(self, users: frozenset[str]) -> str:
        if users not in self._dm_channels:
            prefix = "D" if len(users) == 1 else "G"
            self._dm_channels[users] = f"{prefix}{next(self._ids):08d}"
        return self._dm_channels[users]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """The current state of a posted message (KeyError if never posted)."""
        return self.messages[(channel, ts)]

    def posted_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage (current state, post order)."""
        return [m for m in self.messages.values() if channel is None or m["channel"] == channel]

    def responses(self) -> list[dict[str, Any]]:
        """Bodies posted to response_urls, in order."""
        return [c.args for c in self.calls if c.method == "response_url"]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    # ======================================================= fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        headers: Mapping[str, str] | None = None,
        disconnect: bool = False,
        stored: bool = False,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail.

        `status=429` (the default when nothing else is given) answers HTTP 429 with
        `Retry-After: 1` unless `headers` say otherwise; `error="..."` answers HTTP 200
        `{"ok": false, "error": ...}`; `disconnect=True` closes the connection unanswered.
        `stored=True`: Slack carries the request out (a post is in the channel) before the
        failure, as when its answer is lost on the way back.
        """
        if status is None and error is None and not disconnect:
            status = 429
        final_headers = dict(headers or {})
        if status == 429:
            final_headers.setdefault("Retry-After", "1")
        failure = Failure(
            status=status or 200,
            error=error,
            headers=final_headers,
            disconnect=disconnect,
            stored=stored,
        )
        self._failures.setdefault(method, []).extend([failure] * times)

    def inject_faults(self, method: str, rates: FaultRates, seed: int | None = None) -> None:
        """Give `method` random faults at `rates` (queued `fail_next` failures come first)."""
        self._fault_rates[method] = rates
        if seed is not None:
            self._rng.seed(seed)

    def hold(
        self, method: str, applies: Callable[[Args], bool] = lambda _: True, *, stored: bool = False
    ) -> Hold:
        """Keep `method`'s requests (those `applies` to) unanswered until `release()`;
        `stored=True` carries each out first (the post is in the channel, its answer held)."""
        hold = Hold(method, applies, stored)
        self._holds[method] = hold
        return hold

    def _next_failure(self, method: str) -> Failure | None:
        queued = self._failures.get(method)
        if queued:
            return queued.pop(0)
        rates = self._fault_rates.get(method)
        return rates.draw(self._rng) if rates is not None else None

    # =============================================================== waiting

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until `predicate()` is truthy (re-checked on every recorded change)."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                return await self._changed.wait_for(predicate)
        except TimeoutError:
            recent = ", ".join(f"{c.method}({c.status})" for c in self.calls[-10:])
            raise AssertionError(
                f"condition not met within {timeout}s; last calls: {recent}"
            ) from None

    async def wait_for_call(
        self, method: str, where: Callable[[ApiCall], bool] | None = None, timeout: float = 5.0
    ) -> ApiCall:
        """The first recorded call of `method` matching `where` (waiting if needed)."""

        def found() -> ApiCall | None:
            return next((c for c in self.calls_to(method) if where is None or where(c)), None)

        return await self.wait_for(found, timeout)

    async def record_call(self, method: str, args: Args, path: str) -> None:
        await self._record(ApiCall(method, args, None, 200, {"ok": True}, path))

    async def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        for callback in self.on_call:
            callback(call)
        await self._notify()

    # ============================================================ Web API

    async def _handle_api(
        self, request: web.Request, read: tuple[Args, str | None] | None = None
    ) -> web.StreamResponse:
        method = request.match_info["method"]
        if read is None:
            args = await _read_args(request)
            read = args, _token(request, args)
        args, token = read
        owner = self.oauth.owner_of_token(token)
        if owner is not self:  # the workspace the token belongs to answers (its body is read)
            return await owner._handle_api(request, read)
        args.update(basic_credentials(request.headers))
        hold = self._holds.get(method)
        held = hold is not None and not hold.released.is_set() and hold.applies(args)
        if hold is not None and held and not hold.stored:
            await self._wait_released(hold)
        failure = self._next_failure(method)
        if failure is not None and not failure.stored:
            return await self._fail(request, method, args, token, failure)
        status, headers, body = self._carry_out(method, args, token)
        call = ApiCall(method, args, token, status, body, request.path)
        call.answer_lost = failure is not None
        await self._record(call)
        if hold is not None and held and hold.stored:
            await self._wait_released(hold)
        if failure is not None:  # carried out, but the answer is lost
            if failure.withheld_seconds:
                await asyncio.sleep(failure.withheld_seconds)  # a slow Slack, not a test's wait
            return self._answer_failure(request, failure)
        return _json_response(body, status, headers)

    async def _wait_released(self, hold: Hold) -> None:
        hold.waiting += 1
        await self._notify()
        await hold.released.wait()

    def _carry_out(
        self, method: str, args: Args, token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        status, headers = 200, {}
        handler = self._methods.get(method)
        try:
            if handler is None:
                raise SlackError("unknown_method")
            self._check_token(method, token)
            body = handler(args, token)
            if method == "auth.test":
                headers["X-OAuth-Scopes"] = "chat:write,commands,im:history,im:write,users:read"
        except SlackError as err:
            body = err.body()
        return status, headers, body

    async def _fail(
        self, request: web.Request, method: str, args: Args, token: str | None, failure: Failure
    ) -> web.StreamResponse:
        body = _failure_body(failure)
        await self._record(ApiCall(method, args, token, failure.status, body, request.path))
        return self._answer_failure(request, failure)

    def _answer_failure(self, request: web.Request, failure: Failure) -> web.StreamResponse:
        if failure.disconnect and request.transport is not None:
            request.transport.close()
        return _json_response(_failure_body(failure), failure.status, failure.headers)

    def _check_token(self, method: str, token: str | None) -> None:
        if method in CREDENTIAL_METHODS:
            return
        if not token:
            raise SlackError("not_authed")
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token == expected:
            self.oauth.check_token(self, token)
            return
        if token in (self.app_token, self.bot_token):
            raise SlackError("not_allowed_token_type")
        raise SlackError("invalid_auth")

    def _auth_test(self, args: Args, token: str | None) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.users.get(self.bot_user_id, {}).get("name", "rapport"),
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "enterprise_id": self.enterprise_id,
            "is_enterprise_install": self.org_install,
        }

    def _apps_connections_open(self, args: Args, token: str | None) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return {"ok": True, "url": f"{self.socket_url}?ticket={ticket}&app_id={self.app_id}"}

    def _require_user(self, user_id: str | None) -> dict[str, Any]:
        user = self.users.get(user_id or "")
        if user is None:
            raise SlackError("user_not_found")
        return user

    def _conversations_open(self, args: Args, token: str | None) -> dict[str, Any]:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": args["channel"]}}
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        for user_id in users:
            if self._require_user(user_id)["deleted"]:
                raise SlackError("user_disabled")
            self.conversations_open_count[user_id] += 1
        channel_id = self._dm_for(frozenset(users))
        channel = {"id": channel_id, "created": 1_700_000_000, "is_im": len(users) == 1}
        if len(users) == 1:
            channel["user"] = users[0]
        return {"ok": True, "no_op": False, "already_open": False, "channel": channel}

    def _conversations_members(self, args: Args, token: str | None) -> dict[str, Any]:
        members = self.channels.get(str(args.get("channel")))
        if members is None:
            raise SlackError("channel_not_found")
        page, cursor = _page(members, args, default_limit=100)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_history(self, args: Args, token: str | None) -> dict[str, Any]:
        """Newest first; `metadata` only with `include_all_metadata` (like Slack)."""
        channel = str(args.get("channel") or "")
        known = channel in self.channels or channel in self._dm_channels.values()
        if not known or channel in self.unreachable_channels:
            raise SlackError("channel_not_found")
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        posted = [m for m in self.messages.values() if m["channel"] == channel]
        newest = sorted(posted, key=lambda m: m["ts"], reverse=True)
        page, cursor = _page(newest, args, default_limit=100)
        messages = [
            {k: v for k, v in m.items() if k != "channel" and (with_metadata or k != "metadata")}
            for m in page
        ]
        return {
            "ok": True,
            "messages": messages,
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _users_info(self, args: Args, token: str | None) -> dict[str, Any]:
        user = dict(self._require_user(args.get("user")))
        if str(args.get("include_locale", "")).lower() not in ("true", "1"):
            user.pop("locale", None)
        return {"ok": True, "user": user}

    def _users_list(self, args: Args, token: str | None) -> dict[str, Any]:
        page, cursor = _page(list(self.users.values()), args, default_limit=0)
        return {
            "ok": True,
            "members": page,
            "cache_ts": int(self.clock()),
            "response_metadata": {"next_cursor": cursor},
        }

    # ------------------------------------------------------------ messages

    def _resolve_channel(self, args: Args) -> str:
        channel = str(args.get("channel") or "")
        if not channel or channel in self.unreachable_channels:
            raise SlackError("channel_not_found")
        if channel.startswith(("U", "W")):
            self._require_user(channel)
            return self.dm_channel(channel)
        return channel

    def _message_content(self, args: Args) -> dict[str, Any]:
        """Validated text/blocks of chat.postMessage / update / postEphemeral."""
        text = args.get("text")
        blocks = _json_arg(args, "blocks", "invalid_blocks_format")
        attachments = _json_arg(args, "attachments", "invalid_attachments")
        if not text and not blocks and not attachments:
            raise SlackError("no_text")
        if text is not None and len(str(text)) > MESSAGE_TEXT_MAX:
            raise SlackError("msg_too_long")
        if blocks is not None:
            problems = check_blocks(blocks, "message")
            if problems:
                raise SlackError("invalid_blocks", problems)
        content: dict[str, Any] = {"text": text or ""}
        if blocks is not None:
            content["blocks"] = blocks
        if attachments is not None:
            content["attachments"] = attachments
        return content

    def _chat_post_message(self, args: Args, token: str | None) -> dict[str, Any]:
        channel = self._resolve_channel(args)
        content = self._message_content(args)
        ts = self.payloads.next_ts()
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
            **content,
        }
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        metadata = _json_arg(args, "metadata", "invalid_metadata_format")
        if metadata is not None:
            if not isinstance(metadata, dict) or not metadata.get("event_type"):
                raise SlackError("invalid_metadata_format")
            message["metadata"] = metadata
        self.messages[(channel, ts)] = {"channel": channel, **message}
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: Args, token: str | None) -> dict[str, Any]:
        channel = self._resolve_channel(args)
        stored = self.messages.get((channel, str(args.get("ts"))))
        if stored is None:
            raise SlackError("message_not_found")
        content = self._message_content(args)
        stored.pop("blocks", None)
        stored.update(content, edited={"user": self.bot_user_id, "ts": self.payloads.next_ts()})
        message = {k: v for k, v in stored.items() if k != "channel"}
        return {
            "ok": True,
            "channel": channel,
            "ts": stored["ts"],
            "text": stored["text"],
            "message": message,
        }

    def _chat_post_ephemeral(self, args: Args, token: str | None) -> dict[str, Any]:
        channel = self._resolve_channel(args)
        user_id = str(args.get("user") or "")
        self._require_user(user_id)
        members = self.channels.get(channel)
        if members is not None and user_id not in members:
            raise SlackError("user_not_in_channel")
        ts = self.payloads.next_ts()
        self.ephemerals.append(
            {"channel": channel, "user": user_id, "message_ts": ts, **self._message_content(args)}
        )
        return {"ok": True, "message_ts": ts}

    # --------------------------------------------------------------- views

    def _view_arg(self, args: Args) -> dict[str, Any]:
        view = _json_arg(args, "view", "invalid_arguments")
        problems = check_view(view)
        if problems:
            raise SlackError("invalid_arguments", problems)
        return dict(view)

    def _use_trigger(self, args: Args) -> str:
        """Triggers are single-use and expire 3 s after the interaction (like Slack)."""
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        issued = self.payloads.issued_triggers.get(trigger)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if trigger in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        user_id, issued_at = issued
        if self.clock() - issued_at > TRIGGER_TTL_SECONDS:
            raise SlackError("expired_trigger_id")
        self._used_triggers.add(trigger)
        return user_id

    def _store_view(self, view: dict[str, Any], view_id: str, user_id: str) -> dict[str, Any]:
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "user_id": user_id,
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": f"{int(self.clock())}.{uuid.uuid4().hex[:8]}",
            "root_view_id": view_id,
            "previous_view_id": None,
            **view,
        }
        self.views[view_id] = stored
        return stored

    def _views_open(self, args: Args, token: str | None) -> dict[str, Any]:
        user_id = self._use_trigger(args)
        view = self._view_arg(args)
        if view["type"] != "modal":
            raise SlackError("invalid_arguments", ["must be 'modal' [json-pointer:/view/type]"])
        return {"ok": True, "view": self._store_view(view, f"V{next(self._ids):010d}", user_id)}

    def _find_view(self, args: Args) -> dict[str, Any]:
        if args.get("view_id"):
            found = self.views.get(str(args["view_id"]))
        else:
            external = args.get("external_id")
            found = next(
                (v for v in self.views.values() if external and v["external_id"] == external), None
            )
        if found is None:
            raise SlackError("not_found")
        return found

    def _views_update(self, args: Args, token: str | None) -> dict[str, Any]:
        current = self._find_view(args)
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._view_arg(args)
        return {"ok": True, "view": self._store_view(view, current["id"], current["user_id"])}

    def _views_publish(self, args: Args, token: str | None) -> dict[str, Any]:
        user_id = str(args.get("user_id") or "")
        self._require_user(user_id)
        view = self._view_arg(args)
        if view["type"] != "home":
            raise SlackError("invalid_arguments", ["must be 'home' [json-pointer:/view/type]"])
        current = self.home_views.get(user_id)
        if current and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view_id = current["id"] if current else f"V{next(self._ids):010d}"
        self.home_views[user_id] = self._store_view(view, view_id, user_id)
        return {"ok": True, "view": self.home_views[user_id]}

    # --------------------------------------------------------------- files

    def _files_get_upload_url(self, args: Args, token: str | None) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            raise SlackError("invalid_arguments", ["filename and length are required"])
        file_id = f"F{next(self._ids):010d}"
        self.files[file_id] = {
            "id": file_id,
            "name": args["filename"],
            "length": int(args["length"]),
            "alt_txt": args.get("alt_txt"),  # Slack takes it here, not on completion
        }
        return {
            "ok": True,
            "upload_url": f"{self.base_url}/upload/v1/{file_id}",
            "file_id": file_id,
        }

    def _files_complete_upload(self, args: Args, token: str | None) -> dict[str, Any]:
        entries = _json_arg(args, "files", "invalid_arguments") or []
        completed = []
        for entry in entries:
            stored = self.files.get(str(entry.get("id")))
            if stored is None or "content" not in stored:
                raise SlackError("file_not_found")
            channel = args.get("channel_id")
            stored.update(
                title=entry.get("title") or stored["name"],
                channels=[channel] if channel else [],
                initial_comment=args.get("initial_comment"),
                thread_ts=args.get("thread_ts"),
            )
            completed.append({k: v for k, v in stored.items() if k != "content"})
        return {"ok": True, "files": completed}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        owner = next((w for w in self.oauth.all() if file_id in w.files), self)
        if owner is not self:
            return await owner._handle_upload(request)
        content = await request.read()
        stored = self.files.get(file_id)
        if stored is None:
            return web.Response(status=404, text="not found", content_type="text/plain")
        stored["content"] = content
        await self._record(
            ApiCall("files.upload", {"file_id": file_id}, None, 200, {"ok": True}, request.path)
        )
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        team = request.match_info["tail"].split("/")[0]
        owner = self.oauth.workspace(team) or self  # response_urls name their workspace
        await owner._record(ApiCall("response_url", body, None, 200, {"ok": True}, request.path))
        return _json_response({"ok": True})

    # =========================================================== Socket Mode

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        hello = {
            "type": "hello",
            "num_connections": self.connections,
            "debug_info": {
                "host": "applink-fake-1",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        await ws.send_str(json.dumps(hello))
        self.hellos.append(hello)
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_socket_text(msg.data)
        finally:
            self._sockets.remove(ws)
            await self._notify()
        return ws

    async def _on_socket_text(self, data: str) -> None:
        frame = json.loads(data)
        envelope_id = frame.get("envelope_id")
        if envelope_id:
            self.acks[envelope_id] = frame
            await self._notify()

    @property
    def connections(self) -> int:
        """Open Socket Mode connections."""
        return len(self._live_sockets())

    def _live_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self._sockets if not ws.closed]

    async def _newest_socket(self, timeout: float = 5.0) -> web.WebSocketResponse:
        """The most recent open connection (waiting for one); Slack picks any, we pick newest."""
        live = await self.wait_for(self._live_sockets, timeout)
        return live[-1]

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` hellos were sent in total (first connect = 1, reconnect = 2)."""
        await self.wait_for(lambda: len(self.hellos) >= count and self._live_sockets(), timeout)

    async def send(
        self,
        inbound: Inbound,
        *,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Push an inbound payload as a Socket Mode envelope; returns its envelope_id."""
        envelope = inbound.envelope(retry_attempt=retry_attempt, retry_reason=retry_reason)
        ws = await self._newest_socket(timeout)
        self.envelopes[envelope["envelope_id"]] = envelope
        await ws.send_str(json.dumps(envelope))
        return str(envelope["envelope_id"])

    async def send_envelope(
        self,
        kind: EnvelopeType,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Push `{envelope_id, type, payload, accepts_response_payload}`; returns envelope_id."""
        if accepts_response_payload is None:
            accepts_response_payload = (
                kind == "slash_commands" or payload.get("type") == "view_submission"
            )
        inbound = Inbound(kind, payload, accepts_response_payload)
        return await self.send(inbound, retry_attempt=retry_attempt, retry_reason=retry_reason)

    async def wait_ack(
        self, envelope_id: str, timeout: float = TRIGGER_TTL_SECONDS
    ) -> dict[str, Any]:
        """The app's ack `{envelope_id, payload?}`; default timeout is Slack's 3 s."""
        return await self.wait_for(lambda: self.acks.get(envelope_id), timeout)

    async def drop_socket(self) -> None:
        """Close the newest connection server-side (the client should reconnect)."""
        live = self._live_sockets()
        if live:
            await live[-1].close(code=WSCloseCode.GOING_AWAY, message=b"dropped")

    async def request_refresh(self) -> None:
        """Send Slack's `disconnect` (refresh_requested) message on the newest connection."""
        frame = {
            "type": "disconnect",
            "reason": "refresh_requested",
            "debug_info": {"host": "applink-fake-1"},
        }
        await (await self._newest_socket()).send_str(json.dumps(frame))

    # ======================================================= Events API redelivery

    async def deliver_event(
        self,
        inbound: Inbound,
        *,
        url: str | None = None,
        ack_timeout: float = TRIGGER_TTL_SECONDS,
        retries: int = EVENT_RETRIES,
    ) -> int | None:
        """Deliver an event like Slack: again while it is not acknowledged, up to `retries`.

        Socket Mode (no `url`): an envelope without an ack within `ack_timeout` is sent again
        with `retry_attempt` / `retry_reason="timeout"`. HTTP mode (`url`): a reply other than
        200, or none within `ack_timeout`, is followed by a POST with `X-Slack-Retry-Num`.
        Returns the attempt that was acknowledged (0 = the first), or None if none was.
        """
        for attempt in range(retries + 1):
            retry = attempt or None
            if url is None:
                envelope_id = await self.send(
                    inbound, retry_attempt=retry, retry_reason="timeout" if retry else None
                )
                try:
                    await self.wait_ack(envelope_id, ack_timeout)
                    return attempt
                except AssertionError:
                    continue
            reason = "http_error" if retry else None
            try:
                async with asyncio.timeout(ack_timeout):
                    reply = await self.post_to_app(
                        url, inbound, retry_num=retry, retry_reason=reason
                    )
            except (TimeoutError, aiohttp.ClientError):
                continue
            if reply.status == 200:
                return attempt
        return None

    # ============================================================== HTTP mode

    async def post_to_app(
        self,
        url: str,
        inbound: Inbound,
        *,
        signing_secret: str | None = None,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> AppReply:
        """POST `inbound` to an HTTP-mode app as Slack would, signed with `signing_secret`."""
        if self._http is None:
            raise RuntimeError("FakeSlack is not started")
        request = inbound.signed(
            signing_secret or self.signing_secret,
            timestamp=timestamp,
            retry_num=retry_num,
            retry_reason=retry_reason,
        )
        async with self._http.post(url, data=request.body, headers=request.headers) as resp:
            return AppReply(resp.status, await resp.text(), dict(resp.headers))
