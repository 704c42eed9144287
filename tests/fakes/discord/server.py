"""A fake Discord (REST API v10 + gateway) that the real discord.py client connects to.

Start it on 127.0.0.1 port 0, point discord.py at it with `patch_discord_py(fake)` (or set
`discord.http.Route.BASE = fake.api_url` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`), then drive the
client by pushing gateway dispatches and assert on what it sent over REST:

    async with FakeDiscord(guilds=[world.guild]) as fake:
        with patch_discord_py(fake):
            ...  # log a client in, then:
            await fake.push_event("MESSAGE_CREATE", payloads.dm_message(channel, alice, "hi"))
            reply = await fake.wait_until(lambda: fake.messages_to(alice_id))

Every REST call is recorded (`requests`); unknown routes answer 404 and are also listed in
`unhandled`. Faults are injected per route with `fail_next` / `rate_limit_next` (refused before
anything is done), `lose_response_next` / `hold_next` (done, but the answer is lost or held), or
at random with `chaos` (see `faults.py`). Like Discord, a message posted with `enforce_nonce`
repeats the earlier one with that nonce for `nonce_window` seconds, an interaction not answered
within `interaction_ttl` seconds is unknown, and `GET /channels/{id}/messages` lists a channel's
history, including what members typed (`user_writes`, also while no bot is connected).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import mimetypes
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

import discord
import yarl
from aiohttp import WSMsgType, web

from tests.fakes.discord import payloads as p
from tests.fakes.discord.faults import DROP, HOLD, Chaos, Fault, rate_limited

T = TypeVar("T")
Payload = p.Payload
API_PREFIX = "/api/v10"
EPHEMERAL = 64
# Interaction callback types (Discord API v10).
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL = 4, 5, 6, 7, 9
# Gateway opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (`files[n]`)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One REST call the client made; `path` is relative to `/api/v10`."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    files: list[UploadedFile] = field(default_factory=list)
    status: int = 0


@dataclass
class SentMessage:
    """A message the bot created: over REST (`via="rest"`), as an interaction response
    (`"interaction"`) or as a followup (`"followup"`). `payload` is the message object as the fake
    returned it (kept up to date by edits); `body` is the request that created it."""

    payload: Payload
    body: Payload
    via: str
    files: list[UploadedFile] = field(default_factory=list)
    edits: list[Payload] = field(default_factory=list)
    interaction_token: str | None = None
    deleted: bool = False

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def channel_id(self) -> str | None:
        return self.payload.get("channel_id")

    @property
    def content(self) -> str:
        return str(self.payload.get("content", ""))

    @property
    def embeds(self) -> list[Payload]:
        return list(self.payload.get("embeds", []))

    @property
    def components(self) -> list[Payload]:
        return list(self.payload.get("components", []))

    @property
    def flags(self) -> int:
        return int(self.payload.get("flags", 0))

    @property
    def allowed_mentions(self) -> Payload | None:
        return self.body.get("allowed_mentions")


@dataclass
class InteractionCallback:
    """An interaction response (`POST /interactions/{id}/{token}/callback`)."""

    interaction_id: str
    token: str
    type: int
    data: Payload | None
    interaction: Payload | None
    message: SentMessage | None = None

    @property
    def flags(self) -> int:
        return int((self.data or {}).get("flags", 0))

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)


@dataclass
class _Failure:
    method: str | None
    pattern: re.Pattern[str]
    fault: Fault
    remaining: int


@dataclass
class GatewaySession:
    """An identified gateway session; `events` keeps every dispatch for RESUME replay."""

    session_id: str
    identify: Payload
    seq: int = 0
    events: list[Payload] = field(default_factory=list)
    resumes: int = 0


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    session: GatewaySession | None = None


@dataclass
class _Request:
    method: str
    path: str
    query: Mapping[str, str]
    json: Any
    files: list[UploadedFile]


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Awaitable[_Reply]]


def compile_route(route: str) -> tuple[str | None, re.Pattern[str]]:
    """`"POST /channels/{id}/messages"` -> ("POST", regex); `{name}` matches one path segment."""
    method, _, path = route.partition(" ") if " " in route else ("", "", route)
    parts = re.split(r"(\{[^}]*\})", path)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return (method.upper() or None), re.compile(regex)


def _matches(method: str | None, pattern: re.Pattern[str], req_method: str, path: str) -> bool:
    return (method in (None, "*", req_method)) and pattern.fullmatch(path) is not None


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with Content-Type exactly `application/json` (discord.py rejects a charset suffix)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(body).encode(), status=status, headers=all_headers)


def _not_found(code: int, message: str) -> _Reply:
    return _Reply(404, p.error(code, message))


class FakeDiscord:
    """Discord's REST API and gateway on 127.0.0.1:<random port>, recording what clients do."""

    def __init__(
        self,
        *,
        guilds: Sequence[Payload] = (),
        users: Sequence[Payload] = (),
        bot: Payload = p.DEFAULT_BOT,
        application_id: int = p.APPLICATION_ID,
        token: str = p.BOT_TOKEN,
        heartbeat_interval_ms: int = 41_250,
        allowed_intents: int | None = None,
        nonce_window: float = 300.0,
        interaction_ttl: float = 3.0,
    ) -> None:
        self.bot = copy.deepcopy(bot)
        # the intents the portal switched on (None: any); IDENTIFY asking for more gets 4014
        self.allowed_intents = allowed_intents
        self.application_id = str(application_id)
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.nonce_window = nonce_window
        self.interaction_ttl = interaction_ttl
        self.chaos: Chaos | None = None
        self.typed: list[Payload] = []  # messages members wrote in their DMs with the bot
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.server_errors: list[str] = []
        self.messages: list[SentMessage] = []
        self.callbacks: list[InteractionCallback] = []
        self.commands: dict[str | None, list[Payload]] = {}
        self.sessions: dict[str, GatewaySession] = {}
        self.gateway_received: list[Payload] = []
        self.gateway_connects: list[str] = []
        self.guilds: dict[str, Payload] = {}
        self.users: dict[str, Payload] = {self.bot["id"]: self.bot}
        self._dm_by_user: dict[str, Payload] = {}
        self._channels: dict[str, Payload] = {}
        self._interactions: dict[str, Payload] = {}
        # indexes, so a benchmark's thousands of interactions and messages cost no scans
        self._interactions_by_token: dict[str, Payload] = {}
        self._callbacks_by_interaction: dict[str, list[InteractionCallback]] = {}
        self._first_callback_by_token: dict[str, InteractionCallback] = {}
        self._messages_by_id: dict[str, list[SentMessage]] = {}
        # called with every REST request once it was answered (benchmarks time acks with it)
        self.on_request: list[Callable[[RecordedRequest], None]] = []
        self._interaction_times: dict[str, float] = {}
        self._nonces: dict[tuple[str, str, str], tuple[float, SentMessage]] = {}
        self._released = asyncio.Event()
        self._failures: list[_Failure] = []
        self._connections: set[_Connection] = set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._routes = self._build_routes()
        for u in users:
            self.add_user(u)
        for g in guilds:
            self.add_guild(g)

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on 127.0.0.1 with an OS-chosen port."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway/resume", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        app.router.add_route("*", "/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Close gateway sockets and the server (close clients first, or they will reconnect)."""
        for conn in list(self._connections):
            await conn.ws.close(code=1001, message=b"fake discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """Value for `discord.http.Route.BASE` (and `DISCORD_API_URL`)."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """For `DiscordWebSocket.DEFAULT_GATEWAY` (as a yarl.URL) and `DISCORD_GATEWAY_URL`."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    # --- world ----------------------------------------------------------------------------------

    def add_user(self, user: Payload) -> None:
        """Make a user known (e.g. for DMs to someone outside every guild)."""
        self.users[user["id"]] = user

    def add_guild(self, guild: Payload) -> Payload:
        """Add a GUILD_CREATE payload (deep-copied); the bot joins it as a member."""
        data = copy.deepcopy(guild)
        if all(m["user"]["id"] != self.bot["id"] for m in data["members"]):
            data["members"].append(p.member(self.bot))
        data["member_count"] = len(data["members"])
        for m in data["members"]:
            self.add_user(m["user"])
        for channel in data["channels"]:
            self._channels[channel["id"]] = channel
        self.guilds[data["id"]] = data
        return data

    def dm_channel_for(self, user_id: int | str) -> Payload:
        """The DM channel between the bot and a user; created once, stable id."""
        key = str(user_id)
        if key not in self._dm_by_user:
            recipient = self.users.get(key) or p.user(key, f"user{key}")
            channel = p.dm_channel(p.snowflake(), recipient)
            self._dm_by_user[key] = channel
            self._channels[channel["id"]] = channel
        return self._dm_by_user[key]

    def channel(self, channel_id: int | str) -> Payload | None:
        """A known guild or DM channel payload."""
        return self._channels.get(str(channel_id))

    # --- queries for tests ----------------------------------------------------------------------

    def messages_to(
        self, user_id: int | str, *, include_interactions: bool = False
    ) -> list[SentMessage]:
        """Messages the bot posted in this user's DM channel (REST only unless asked)."""
        channel = self._dm_by_user.get(str(user_id))
        if channel is None:
            return []
        return [
            m
            for m in self.messages
            if m.channel_id == channel["id"] and (include_interactions or m.via == "rest")
        ]

    def messages_in(self, channel_id: int | str) -> list[SentMessage]:
        """Messages the bot posted in a channel over REST."""
        return [m for m in self.messages if m.channel_id == str(channel_id) and m.via == "rest"]

    def interaction_callbacks(
        self, interaction_id: int | str | None = None, *, callback_type: int | None = None
    ) -> list[InteractionCallback]:
        """Recorded interaction responses, optionally for one interaction and/or callback type."""
        found = (
            self.callbacks
            if interaction_id is None
            else self._callbacks_by_interaction.get(str(interaction_id), [])
        )
        return [c for c in found if callback_type is None or c.type == callback_type]

    def followups(self, interaction_token: str | None = None) -> list[SentMessage]:
        """Followup messages (`POST /webhooks/{app}/{token}`)."""
        return [
            m
            for m in self.messages
            if m.via == "followup" and interaction_token in (None, m.interaction_token)
        ]

    def requests_matching(self, route: str) -> list[RecordedRequest]:
        """Recorded requests matching e.g. `"POST /channels/{id}/messages"`."""
        method, pattern = compile_route(route)
        return [r for r in self.requests if _matches(method, pattern, r.method, r.path)]

    @property
    def identifies(self) -> list[Payload]:
        return [f["d"] for f in self.gateway_received if f.get("op") == IDENTIFY]

    @property
    def resumes(self) -> list[Payload]:
        return [f["d"] for f in self.gateway_received if f.get("op") == RESUME]

    # --- waiting --------------------------------------------------------------------------------

    async def wait_until(self, condition: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until `condition()` is truthy (re-checked on every request or gateway frame)."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                while not (result := condition()):
                    await self._changed.wait()
                return result
        except TimeoutError:
            seen = [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-10:]]
            raise TimeoutError(f"condition not met in {timeout}s; last requests: {seen}") from None

    async def wait_for(
        self, predicate: str | Callable[[RecordedRequest], bool], timeout: float = 5.0
    ) -> RecordedRequest:
        """The first recorded request (past or future) matching a route string or predicate."""
        check = self._route_predicate(predicate) if isinstance(predicate, str) else predicate

        def first_match() -> RecordedRequest | None:
            return next((r for r in self.requests if check(r)), None)

        return await self.wait_until(first_match, timeout)

    @staticmethod
    def _route_predicate(route: str) -> Callable[[RecordedRequest], bool]:
        method, pattern = compile_route(route)
        return lambda r: _matches(method, pattern, r.method, r.path)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- fault injection ------------------------------------------------------------------------

    def fail_next(
        self,
        route: str,
        status: int,
        body: Payload | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests matching `route` with this status/body/headers."""
        self.inject(route, Fault(status, body, dict(headers or {})), times=times)

    def rate_limit_next(
        self, route: str, *, retry_after: float = 0.05, is_global: bool = False, times: int = 1
    ) -> None:
        """A 429 discord.py honours (see `faults.rate_limited`)."""
        self.inject(route, rate_limited(retry_after, is_global=is_global), times=times)

    def lose_response_next(self, route: str, status: int = DROP, *, times: int = 1) -> None:
        """Carry out the next `times` matching requests, then answer `status` instead, or
        close the connection without an answer (`DROP`)."""
        body = None if status == DROP else p.error(0, "lost")
        self.inject(route, Fault(status, body, after_handler=True), times=times)

    def hold_next(self, route: str, *, times: int = 1) -> None:
        """Carry out the next `times` matching requests but answer only at `release_held`."""
        self._released.clear()
        self.inject(route, Fault(HOLD, after_handler=True), times=times)

    def release_held(self) -> None:
        self._released.set()

    def inject(self, route: str, fault: Fault, *, times: int = 1) -> None:
        method, pattern = compile_route(route)
        self._failures.append(_Failure(method, pattern, fault, times))

    def set_chaos(self, routes: Sequence[str], **options: Any) -> Chaos:
        """Random faults on these routes from now on (`faults.Chaos` options)."""
        self.chaos = Chaos([compile_route(r) for r in routes], **options)
        return self.chaos

    def _take_failure(self, method: str, path: str) -> Fault | None:
        for failure in self._failures:
            if _matches(failure.method, failure.pattern, method, path):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure.fault
        return self.chaos.pick(method, path) if self.chaos is not None else None

    # --- gateway --------------------------------------------------------------------------------

    async def push_event(self, name: str, data: Payload) -> None:
        """Dispatch an event (op 0, next `s`) to every identified client."""
        targets = [c for c in self._connections if c.session is not None and not c.ws.closed]
        if not targets:
            raise RuntimeError(f"no gateway client is connected to receive {name}")
        if name == "INTERACTION_CREATE":
            self._interactions[str(data["id"])] = data
            self._interactions_by_token[data["token"]] = data
            self._interaction_times[str(data["id"])] = asyncio.get_running_loop().time()
        for conn in targets:
            await self._dispatch(conn, name, data)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py reconnects to `resume_gateway_url` and RESUMEs."""
        for conn in list(self._connections):
            await self._send(conn, {"op": RECONNECT, "d": None})

    async def _send(self, conn: _Connection, frame: Payload) -> None:
        await conn.ws.send_str(json.dumps(frame))

    async def _dispatch(self, conn: _Connection, name: str, data: Payload) -> None:
        session = conn.session
        assert session is not None
        session.seq += 1
        frame = {"op": DISPATCH, "t": name, "s": session.seq, "d": data}
        session.events.append(frame)
        await self._send(conn, frame)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _Connection(ws=ws)
        self._connections.add(conn)
        self.gateway_connects.append(request.path_qs)
        try:
            await self._send(
                conn, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
        finally:
            self._connections.discard(conn)
        return ws

    async def _on_frame(self, conn: _Connection, frame: Payload) -> None:
        self.gateway_received.append(frame)
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            await self._send(conn, {"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(conn, data)
        elif op == RESUME:
            await self._resume(conn, data)
        elif op == REQUEST_MEMBERS:
            await self._request_members(conn, data)
        await self._notify()

    async def _identify(self, conn: _Connection, data: Payload) -> None:
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if self.allowed_intents is not None and data.get("intents", 0) & ~self.allowed_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = GatewaySession(session_id=uuid.uuid4().hex, identify=data)
        self.sessions[session.session_id] = session
        conn.session = session
        ready = p.ready(
            self.bot,
            guild_ids=list(self.guilds),
            session_id=session.session_id,
            resume_gateway_url=f"ws://127.0.0.1:{self._port}/gateway/resume",
            application_id=self.application_id,
        )
        await self._dispatch(conn, "READY", ready)
        for guild in self.guilds.values():
            await self._dispatch(conn, "GUILD_CREATE", guild)

    async def _resume(self, conn: _Connection, data: Payload) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.token:
            await self._send(conn, {"op": INVALID_SESSION, "d": False})
            return
        session.resumes += 1
        conn.session = session
        missed = [f for f in session.events if f["s"] > (data.get("seq") or 0)]
        for frame in missed:
            await self._send(conn, frame)
        await self._dispatch(conn, "RESUMED", {})

    async def _request_members(self, conn: _Connection, data: Payload) -> None:
        guild = self.guilds.get(str(data.get("guild_id")))
        if guild is None or conn.session is None:
            return
        wanted = {str(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        members = [
            m
            for m in guild["members"]
            if (not wanted or m["user"]["id"] in wanted)
            and m["user"]["username"].lower().startswith(query)
        ]
        limit = data.get("limit") or len(members)
        chunk = p.members_chunk(guild["id"], members[:limit], data.get("nonce"))
        await self._dispatch(conn, "GUILD_MEMBERS_CHUNK", chunk)

    # --- REST plumbing --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix(API_PREFIX) or "/"
        body, files = await self._read_body(request)
        rec = RecordedRequest(
            request.method, path, dict(request.query), body, dict(request.headers), files
        )
        fault = self._take_failure(request.method, path)
        reply = _Reply(0)
        if fault is None or fault.after_handler:
            reply = await self._route(request, rec)
        if fault is not None and fault.status == HOLD:
            await self._released.wait()
        elif fault is not None:
            reply = _Reply(fault.status, fault.body, fault.headers)
        rec.status = reply.status
        self.requests.append(rec)
        for hook in self.on_request:
            hook(rec)
        await self._notify()
        if reply.status == DROP:
            assert request.transport is not None
            request.transport.abort()  # the client sees "Server disconnected"
            return web.Response(status=500)
        if reply.status == 204 or reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return json_response(reply.body, reply.status, reply.headers)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        if request.content_type.startswith("multipart/"):
            return await self._read_multipart(request)
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    async def _read_multipart(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        body: Any = None
        files: list[UploadedFile] = []
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                guessed = mimetypes.guess_type(value.filename)[0] or value.content_type
                files.append(UploadedFile(name, value.filename, guessed, data))
            elif name == "payload_json":
                body = json.loads(value)
        return body, files

    async def _route(self, request: web.Request, rec: RecordedRequest) -> _Reply:
        if not request.path.startswith(API_PREFIX + "/"):
            return self._unhandled(rec)
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(rec.path)
            if match is None or method != rec.method:
                continue
            if not self._authorized(request, rec.path):
                return _Reply(401, {"message": "401: Unauthorized", "code": 0})
            req = _Request(rec.method, rec.path, rec.query, rec.json, rec.files)
            try:
                return await handler(req, **match.groupdict())
            except Exception as exc:  # a bug in the fake must fail the test, not hang it
                self.server_errors.append(f"{rec.method} {rec.path}: {exc!r}")
                return _Reply(400, p.error(50035, f"fake discord error: {exc!r}"))
        return self._unhandled(rec)

    def _unhandled(self, rec: RecordedRequest) -> _Reply:
        self.unhandled.append(rec)
        return _Reply(404, {"message": "404: Not Found", "code": 0})

    def _authorized(self, request: web.Request, path: str) -> bool:
        if path.startswith(("/webhooks/", "/interactions/")):
            return True  # interaction tokens authorise these, not the bot token
        return request.headers.get("Authorization") == f"Bot {self.token}"

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/users/(?P<uid>\d+)", self._get_user),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/channels/(?P<cid>\d+)", self._get_channel),
            ("POST", r"/channels/(?P<cid>\d+)/messages", self._create_message),
            ("POST", r"/channels/(?P<cid>\d+)/typing", self._typing),
            ("GET", r"/channels/(?P<cid>\d+)/messages", self._history),
            ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._get_message),
            ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._edit_message),
            ("DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._delete_message),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
            (
                "GET",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._get_webhook_message,
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._edit_webhook_message,
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._delete_webhook_message,
            ),
            ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_commands),
            ("GET", r"/applications/(?P<app>\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<gid>\d+)/commands", self._put_commands),
            ("GET", r"/applications/(?P<app>\d+)/guilds/(?P<gid>\d+)/commands", self._get_commands),
            ("GET", r"/guilds/(?P<gid>\d+)", self._get_guild),
            ("GET", r"/guilds/(?P<gid>\d+)/members", self._list_members),
            ("GET", r"/guilds/(?P<gid>\d+)/members/(?P<uid>\d+)", self._get_member),
            ("GET", r"/guilds/(?P<gid>\d+)/channels", self._get_guild_channels),
        ]
        return [(method, re.compile(regex), handler) for method, regex, handler in table]

    # --- REST: identity and gateway -------------------------------------------------------------

    async def _get_me(self, req: _Request) -> _Reply:
        return _Reply(200, {**self.bot, "verified": True, "mfa_enabled": False})

    async def _get_user(self, req: _Request, uid: str) -> _Reply:
        found = self.users.get(uid)
        return _Reply(200, found) if found else _not_found(10013, "Unknown User")

    async def _get_application(self, req: _Request) -> _Reply:
        owner = next(iter(u for u in self.users.values() if not u.get("bot")), self.bot)
        return _Reply(200, p.application(self.application_id, owner))

    async def _get_gateway(self, req: _Request) -> _Reply:
        return _Reply(200, {"url": self.gateway_url})

    async def _get_gateway_bot(self, req: _Request) -> _Reply:
        return _Reply(200, p.gateway_bot(self.gateway_url))

    # --- REST: channels and messages ------------------------------------------------------------

    async def _create_dm(self, req: _Request) -> _Reply:
        return _Reply(200, self.dm_channel_for(req.json["recipient_id"]))

    async def _get_channel(self, req: _Request, cid: str) -> _Reply:
        channel = self.channel(cid)
        return _Reply(200, channel) if channel else _not_found(10003, "Unknown Channel")

    def _new_message(
        self,
        channel_id: str | None,
        body: Payload,
        files: list[UploadedFile],
        via: str,
        token: str | None = None,
    ) -> SentMessage:
        channel = self.channel(channel_id) if channel_id else None
        attachments = [
            p.attachment(p.snowflake(), f.filename, len(f.data), f.content_type) for f in files
        ]
        payload = p.message(
            channel_id or "0",
            self.bot,
            body.get("content") or "",
            guild_id=(channel or {}).get("guild_id"),
            embeds=body.get("embeds") or (),
            components=body.get("components") or (),
            attachments=attachments,
            flags=int(body.get("flags") or 0),
        )
        sent = SentMessage(payload, body, via, list(files), interaction_token=token)
        self._add_message(sent)
        return sent

    def _add_message(self, sent: SentMessage) -> None:
        self.messages.append(sent)
        self._messages_by_id.setdefault(sent.id, []).append(sent)

    async def _create_message(self, req: _Request, cid: str) -> _Reply:
        if self.channel(cid) is None:
            return _not_found(10003, "Unknown Channel")
        body = req.json or {}
        nonce = body.get("nonce") if body.get("enforce_nonce") else None
        key = (cid, self.bot["id"], str(nonce))
        now = asyncio.get_running_loop().time()
        earlier = self._nonces.get(key) if nonce is not None else None
        if earlier is not None and now - earlier[0] <= self.nonce_window:
            return _Reply(200, earlier[1].payload)  # Discord returns the message it has
        sent = self._new_message(cid, body, req.files, "rest")
        if nonce is not None:
            self._nonces[key] = (now, sent)
        return _Reply(200, sent.payload)

    async def _history(self, req: _Request, cid: str) -> _Reply:
        """Newest first, like Discord; `before`/`after` ids and `limit` (at most 100)."""
        if self.channel(cid) is None:
            return _not_found(10003, "Unknown Channel")
        found = self.history(cid)  # like Discord's listing, without nonces
        after, before = int(req.query.get("after", 0)), int(req.query.get("before", 0))
        found = [m for m in found if int(m["id"]) > after and (not before or int(m["id"]) < before)]
        limit = min(int(req.query.get("limit", 50)), 100)
        if after and not before:
            return _Reply(200, found[-limit:])  # the `limit` oldest after the cursor
        return _Reply(200, found[:limit])

    def history(self, channel_id: int | str) -> list[Payload]:
        """The channel's messages, newest first: the bot's (not ephemeral) and members'."""
        bots = [
            m.payload
            for m in self.messages
            if m.channel_id == str(channel_id) and not m.deleted and not m.flags & EPHEMERAL
        ]
        members = [m for m in self.typed if m["channel_id"] == str(channel_id)]
        return sorted([*bots, *members], key=lambda m: int(m["id"]), reverse=True)

    async def user_writes(self, user: Payload, text: str) -> Payload:
        """`user` writes in their DM with the bot: stored in the channel's history and
        dispatched as MESSAGE_CREATE to the bots connected now (none while Rapport is down:
        Discord replays nothing to a new session)."""
        message = p.dm_message(self.dm_channel_for(user["id"]), user, text)
        self.typed.append(message)
        for conn in [c for c in self._connections if c.session is not None and not c.ws.closed]:
            with contextlib.suppress(ConnectionError):
                await self._dispatch(conn, "MESSAGE_CREATE", message)
        return message

    async def _typing(self, req: _Request, cid: str) -> _Reply:
        return _Reply(204) if self.channel(cid) else _not_found(10003, "Unknown Channel")

    def _find_message(self, mid: str) -> SentMessage | None:
        return next((m for m in self._messages_by_id.get(mid, []) if not m.deleted), None)

    async def _get_message(self, req: _Request, cid: str, mid: str) -> _Reply:
        sent = self._find_message(mid)
        return _Reply(200, sent.payload) if sent else _not_found(10008, "Unknown Message")

    def _apply_edit(self, sent: SentMessage, body: Payload, files: list[UploadedFile]) -> Payload:
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                sent.payload[key] = body[key] if body[key] is not None else sent.payload[key]
        if "attachments" in body or files:
            # Discord keeps the listed existing attachments (all when the field is absent) and
            # adds the uploaded files
            kept = sent.payload.get("attachments") or []
            if "attachments" in body:
                wanted = {str(a.get("id")) for a in body["attachments"] or []}
                kept = [a for a in kept if a["id"] in wanted]
            added = [
                p.attachment(p.snowflake(), f.filename, len(f.data), f.content_type) for f in files
            ]
            sent.payload["attachments"] = kept + added
        sent.payload["edited_timestamp"] = p.timestamp()
        sent.edits.append(body)
        sent.files.extend(files)
        return sent.payload

    async def _edit_message(self, req: _Request, cid: str, mid: str) -> _Reply:
        sent = self._find_message(mid)
        if sent is None:
            return _not_found(10008, "Unknown Message")
        return _Reply(200, self._apply_edit(sent, req.json or {}, req.files))

    async def _delete_message(self, req: _Request, cid: str, mid: str) -> _Reply:
        sent = self._find_message(mid)
        if sent is None:
            return _not_found(10008, "Unknown Message")
        sent.deleted = True
        return _Reply(204)

    # --- REST: interactions ---------------------------------------------------------------------

    async def _callback(self, req: _Request, iid: str, token: str) -> _Reply:
        interaction = self._interactions.get(iid)
        if interaction is None or interaction["token"] != token:
            return _not_found(10062, "Unknown interaction")
        age = asyncio.get_running_loop().time() - self._interaction_times[iid]
        if age > self.interaction_ttl and not self.interaction_callbacks(iid):
            return _not_found(10062, "Unknown interaction")  # "This interaction failed"
        if self.interaction_callbacks(iid):
            return _Reply(400, p.error(40060, "Interaction has already been acknowledged."))
        body = req.json or {}
        kind, data = int(body["type"]), body.get("data")
        callback = InteractionCallback(iid, token, kind, data, interaction)
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            callback.message = self._new_message(
                interaction.get("channel_id"), data or {}, req.files, "interaction", token
            )
        elif kind == UPDATE_MESSAGE:
            callback.message = self._interaction_message(interaction)
            self._apply_edit(callback.message, data or {}, req.files)
        self.callbacks.append(callback)
        self._callbacks_by_interaction.setdefault(iid, []).append(callback)
        self._first_callback_by_token.setdefault(token, callback)
        if req.query.get("with_response") not in ("1", "true", "True"):
            return _Reply(204)
        message = callback.message.payload if callback.message else None
        return _Reply(200, p.interaction_callback_response(iid, interaction["type"], kind, message))

    def _interaction_message(self, interaction: Payload) -> SentMessage:
        """The message a component sat on, tracked as a SentMessage so edits are recorded."""
        payload = interaction.get("message") or {}
        existing = self._find_message(str(payload.get("id")))
        if existing is not None:
            return existing
        sent = SentMessage(
            copy.deepcopy(payload), {}, "interaction", interaction_token=interaction["token"]
        )
        self._add_message(sent)
        return sent

    def _interaction_by_token(self, token: str) -> Payload | None:
        return self._interactions_by_token.get(token)

    async def _followup(self, req: _Request, app: str, token: str) -> _Reply:
        interaction = self._interaction_by_token(token)
        if interaction is None or app != self.application_id:
            return _not_found(10015, "Unknown Webhook")
        sent = self._new_message(
            interaction.get("channel_id"), req.json or {}, req.files, "followup", token
        )
        if req.query.get("wait") in ("1", "true", "True"):
            return _Reply(200, sent.payload)
        return _Reply(204)

    def _webhook_message(self, token: str, mid: str) -> SentMessage | None:
        if mid != "@original":
            return self._find_message(mid)
        callback = self._first_callback_by_token.get(token)
        if callback is None:
            return None
        if callback.message is None and callback.type in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            callback.message = self._interaction_message(callback.interaction or {})
        return callback.message

    async def _get_webhook_message(self, req: _Request, app: str, token: str, mid: str) -> _Reply:
        sent = self._webhook_message(token, mid)
        return _Reply(200, sent.payload) if sent else _not_found(10008, "Unknown Message")

    async def _edit_webhook_message(self, req: _Request, app: str, token: str, mid: str) -> _Reply:
        sent = self._webhook_message(token, mid)
        if sent is None:
            return _not_found(10008, "Unknown Message")
        return _Reply(200, self._apply_edit(sent, req.json or {}, req.files))

    async def _delete_webhook_message(
        self, req: _Request, app: str, token: str, mid: str
    ) -> _Reply:
        sent = self._webhook_message(token, mid)
        if sent is None:
            return _not_found(10008, "Unknown Message")
        sent.deleted = True
        return _Reply(204)

    # --- REST: application commands -------------------------------------------------------------

    async def _put_commands(self, req: _Request, app: str, gid: str | None = None) -> _Reply:
        problems = [
            problem
            for index, command in enumerate(req.json or [])
            for problem in _command_problems(command, (str(index),))
        ]
        if problems:  # what Discord answers commands over its limits
            errors = _form_errors(problems)
            return _Reply(400, {**p.error(50035, "Invalid Form Body"), "errors": errors})
        registered = [
            p.application_command(c, application_id=app, guild_id=gid) for c in req.json or []
        ]
        self.commands[gid] = registered
        return _Reply(200, registered)

    async def _get_commands(self, req: _Request, app: str, gid: str | None = None) -> _Reply:
        return _Reply(200, self.commands.get(gid, []))

    # --- REST: guilds ---------------------------------------------------------------------------

    async def _get_guild(self, req: _Request, gid: str) -> _Reply:
        guild = self.guilds.get(gid)
        if guild is None:
            return _not_found(10004, "Unknown Guild")
        skip = ("members", "channels", "threads", "presences", "voice_states")
        return _Reply(200, {k: v for k, v in guild.items() if k not in skip})

    async def _list_members(self, req: _Request, gid: str) -> _Reply:
        guild = self.guilds.get(gid)
        if guild is None:
            return _not_found(10004, "Unknown Guild")
        limit = min(int(req.query.get("limit", 1)), 1000)
        after = int(req.query.get("after", 0))
        members = sorted(guild["members"], key=lambda m: int(m["user"]["id"]))
        return _Reply(200, [m for m in members if int(m["user"]["id"]) > after][:limit])

    async def _get_member(self, req: _Request, gid: str, uid: str) -> _Reply:
        guild = self.guilds.get(gid)
        if guild is None:
            return _not_found(10004, "Unknown Guild")
        found = next((m for m in guild["members"] if m["user"]["id"] == uid), None)
        return _Reply(200, found) if found else _not_found(10007, "Unknown Member")

    async def _get_guild_channels(self, req: _Request, gid: str) -> _Reply:
        guild = self.guilds.get(gid)
        if guild is None:
            return _not_found(10004, "Unknown Guild")
        return _Reply(200, guild["channels"])


COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_OPTIONS = MAX_CHOICES = 25
MAX_DESCRIPTION = MAX_CHOICE_NAME = 100


Problem = tuple[tuple[str, ...], str]  # (the keys down to the field, what is wrong)


def _command_problems(command: Payload, at: tuple[str, ...]) -> list[Problem]:
    """Discord's limits on a chat-input command and its options; `at` is its place in the
    request (`("0",)`, then `("0", "options", "1")` for its second option)."""
    name = str(command.get("name", ""))
    problems: list[Problem] = []
    if not COMMAND_NAME.match(name) or name != name.lower():
        problems.append(((*at, "name"), "Must be 1-32 lowercase letters, digits, - or _."))
    if not 1 <= len(str(command.get("description", ""))) <= MAX_DESCRIPTION:
        problems.append(((*at, "description"), f"Must be 1-{MAX_DESCRIPTION} in length."))
    options = command.get("options") or []
    if len(options) > MAX_OPTIONS:
        problems.append(((*at, "options"), f"Must be {MAX_OPTIONS} or fewer in length."))
    choices = command.get("choices") or []
    if len(choices) > MAX_CHOICES:
        problems.append(((*at, "choices"), f"Must be {MAX_CHOICES} or fewer in length."))
    if any(not 1 <= len(str(c.get("name", ""))) <= MAX_CHOICE_NAME for c in choices):
        problems.append(((*at, "choices"), f"Names must be 1-{MAX_CHOICE_NAME} in length."))
    for index, option in enumerate(options):
        problems += _command_problems(option, (*at, "options", str(index)))
    return problems


def _form_errors(problems: Sequence[Problem]) -> Payload:
    """Discord's nested `errors` of an Invalid Form Body answer."""
    errors: Payload = {}
    for keys, message in problems:
        node = errors
        for key in keys:
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": message})
    return errors


@contextlib.contextmanager
def patch_discord_py(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's REST base and default gateway at the fake; restore them afterwards.

    `Route.BASE` is a str read when a Route is built; `DEFAULT_GATEWAY` is a yarl.URL to which
    discord.py adds `?v=10&encoding=json&compress=...` with `with_query` (replacing any query),
    and after READY it connects to `resume_gateway_url` for RESUMEs.
    """
    route, ws = discord.http.Route, discord.gateway.DiscordWebSocket
    saved = route.BASE, ws.DEFAULT_GATEWAY
    route.BASE, ws.DEFAULT_GATEWAY = fake.api_url, yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        route.BASE, ws.DEFAULT_GATEWAY = saved
