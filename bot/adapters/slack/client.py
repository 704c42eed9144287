"""The Slack Web API client, measured: latency per method and every HTTP 429 go to `/metrics`.

slack-bolt builds a fresh `AsyncWebClient` for every inbound request, but it shares the
`aiohttp` session of the client it was given. So the measuring happens on that session, with an
`aiohttp.TraceConfig`: every request to Slack - from the outbox sender, the directory or a
listener's injected `client`, retries included - is timed and labelled with its Web API method.
Labels come from a fixed set (`KNOWN_METHODS`, else "other"): never a URL, never an id.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from yarl import URL

from bot.adapters.slack.wire import PLATFORM
from bot.config import Settings
from bot.ops.metrics import count_rate_limited, observe_api_call

KNOWN_METHODS = frozenset(
    {
        "apps.connections.open",
        "auth.test",
        "chat.postMessage",
        "chat.update",
        "conversations.history",
        "conversations.members",
        "conversations.open",
        "files.completeUploadExternal",
        "files.getUploadURLExternal",
        "users.info",
        "users.list",
        "views.open",
        "views.publish",
    }
)
UPLOAD = "files.upload"  # the POST to the URL files.getUploadURLExternal handed out
OTHER = "other"


def method_label(url: URL) -> str:
    """`https://slack.com/api/chat.postMessage?…` -> `chat.postMessage`; unknown -> `other`."""
    parts = url.path.rstrip("/").split("/")
    if "upload" in parts[:-1]:
        return UPLOAD
    name = parts[-1] if len(parts) >= 2 and parts[-2] == "api" else ""
    return name if name in KNOWN_METHODS else OTHER


def trace_config() -> aiohttp.TraceConfig:
    """Times each HTTP request to Slack; counts 429 answers (before slack_sdk retries them)."""

    async def on_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        context.rapport_started = time.perf_counter()

    async def on_end(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        _observe(context, params.url)
        if params.response.status == 429:
            count_rate_limited(PLATFORM)

    async def on_error(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        _observe(context, params.url)

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)
    config.on_request_exception.append(on_error)
    return config


def _observe(context: Any, url: URL) -> None:
    started = getattr(context, "rapport_started", None)
    if started is not None:
        observe_api_call(PLATFORM, method_label(url), time.perf_counter() - started)


def make_session() -> aiohttp.ClientSession:
    """The measured session; needs a running event loop. trust_env as slack_sdk's default."""
    return aiohttp.ClientSession(trace_configs=[trace_config()], trust_env=False)


def make_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The Web API client; `SLACK_API_URL` points it at another base (tests, proxies)."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or AsyncWebClient.BASE_URL,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
