"""Fixtures running the real slack-bolt `AsyncApp` + `AsyncWebClient` against `FakeSlack`.

* `fake_slack` - a started `FakeSlack` (stopped after the app fixtures are closed);
* `web_client` - a real `AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)`;
* `make_app(**kwargs)` - a real `AsyncApp` whose client's `base_url` is the fake;
* `start_socket_mode(app)` - connects the app with `AsyncSocketModeHandler` (aiohttp), waits
  for the fake's `hello`; closed at teardown;
* `start_http(app)` - serves the app on 127.0.0.1:0 via `to_bolt_request`/`to_aiohttp_response`
  and returns the `/slack/events` URL; cleaned up at teardown;
* `start_rapport(mode, **settings)` - Rapport's core + `SlackRuntime` against the fake
  (`tests.fakes.slack.harness.SlackHarness`), stopped at teardown.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import Mode, SlackHarness, running

AppFactory = Callable[..., AsyncApp]
SocketStarter = Callable[[AsyncApp], Awaitable[AsyncSocketModeHandler]]
HttpStarter = Callable[[AsyncApp], Awaitable[str]]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def make_client(fake: FakeSlack) -> AsyncWebClient:
    """A real web client pointed at the fake (what `SLACK_API_URL` configures)."""
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


@pytest.fixture
def web_client(fake_slack: FakeSlack) -> AsyncWebClient:
    return make_client(fake_slack)


@pytest.fixture
def make_app(fake_slack: FakeSlack) -> AppFactory:
    def factory(**kwargs: Any) -> AsyncApp:
        return AsyncApp(
            client=make_client(fake_slack), signing_secret=fake_slack.signing_secret, **kwargs
        )

    return factory


@pytest.fixture
async def start_socket_mode(fake_slack: FakeSlack) -> AsyncIterator[SocketStarter]:
    handlers: list[AsyncSocketModeHandler] = []

    async def start(app: AsyncApp) -> AsyncSocketModeHandler:
        expected_hellos = len(fake_slack.hellos) + 1
        handler = AsyncSocketModeHandler(app, app_token=fake_slack.app_token)
        handlers.append(handler)
        await handler.connect_async()
        await fake_slack.wait_connected(expected_hellos)
        return handler

    yield start
    for handler in handlers:
        await handler.close_async()


def bolt_web_app(app: AsyncApp, path: str = "/slack/events") -> web.Application:
    """The thin aiohttp adapter an HTTP-mode Rapport will mount (plus its own routes)."""

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post(path, handle)
    return web_app


@pytest.fixture
async def start_http() -> AsyncIterator[HttpStarter]:
    runners: list[web.AppRunner] = []

    async def start(app: AsyncApp) -> str:
        runner = web.AppRunner(bolt_web_app(app), access_log=None)
        runners.append(runner)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"

    yield start
    for runner in runners:
        await runner.cleanup()


RapportStarter = Callable[..., Awaitable[SlackHarness]]


@pytest.fixture
async def start_rapport(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[RapportStarter]:
    """`await start_rapport(mode="socket", **settings)` -> the real core + SlackRuntime, started.

    Extra keyword arguments are settings by their environment names (`RAPPORT_MAX_LAYER=3`).
    """
    async with contextlib.AsyncExitStack() as stack:

        async def start(mode: Mode = "socket", **extra: Any) -> SlackHarness:
            return await stack.enter_async_context(
                running(fake_slack, mode, tmp_path / mode, **extra)
            )

        yield start
