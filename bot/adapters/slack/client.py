"""The Slack Web API client, measured: latency per method and every HTTP 429 go to `/metrics`.

slack-bolt builds a fresh `AsyncWebClient` for every inbound request, but it shares the
`aiohttp` session of the client it was given. So the measuring happens on that session, with an
`aiohttp.TraceConfig`: every request to Slack - from the outbox sender, the directory or a
listener's injected `client`, retries included - is timed and labelled with its Web API method.
Labels come from a fixed set (`KNOWN_METHODS`, else "other"): never a URL, never an id.

Every request has explicit timeouts (aiohttp's default total is 300 s, and slack_sdk's own 30 s
applies only to sessions it creates). A refused request (429) is retried after Retry-After; a
connection error or 5xx is retried only for methods whose repeat is harmless (reads, updates,
views.open with its single-use trigger): a `chat.postMessage` that may have reached Slack is left
to the outbox, which checks the DM's history before posting again.
"""

from __future__ import annotations

import random
import time
from types import SimpleNamespace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from yarl import URL

from bot.adapters.slack.wire import PLATFORM
from bot.config import Settings
from bot.ops.metrics import count_rate_limited, observe_api_call

KNOWN_METHODS = frozenset(
    {
        "apps.connections.open",
        "apps.uninstall",
        "auth.test",
        "chat.postMessage",
        "chat.update",
        "conversations.history",
        "conversations.members",
        "conversations.open",
        "files.completeUploadExternal",
        "files.getUploadURLExternal",
        "oauth.v2.access",
        "users.info",
        "users.list",
        "views.open",
        "views.publish",
    }
)
UPLOAD = "files.upload"  # the POST to the URL files.getUploadURLExternal handed out
OTHER = "other"
# a second copy of these would show twice: never repeated blindly
NOT_REPEATABLE = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal", UPLOAD}
)
TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)


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


class _ShortJitter(Jitter):
    def recalculate(self, duration: float) -> float:
        return duration * random.uniform(1.0, 1.5)


class RepeatableRetryHandler(AsyncRetryHandler):
    """Retries a lost connection or a 5xx quickly (about 0.2 s, then 0.4 s), for methods that are
    safe to repeat; a post is not (see `NOT_REPEATABLE`)."""

    def __init__(self, max_retry_count: int = 2) -> None:
        super().__init__(max_retry_count, BackoffRetryIntervalCalculator(0.2, _ShortJitter()))

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if method_label(URL(request.url)) in NOT_REPEATABLE:
            return False
        if error is not None:
            return isinstance(error, aiohttp.ClientConnectionError | TimeoutError)
        return response is not None and response.status_code >= 500


def failed_call(err: Exception, method: str = OTHER) -> tuple[str, str]:
    """(Web API method, Slack's error code or the exception's name) for a one-line log."""
    if isinstance(err, SlackApiError):
        url = getattr(err.response, "api_url", "")
        label = method_label(URL(url)) if url else method
        return label, str(err.response.get("error") or f"HTTP {err.response.status_code}")
    return method, type(err).__name__


def make_session(timeout: aiohttp.ClientTimeout = TIMEOUT) -> aiohttp.ClientSession:
    """The measured session; needs a running event loop. trust_env as slack_sdk's default."""
    return aiohttp.ClientSession(trace_configs=[trace_config()], trust_env=False, timeout=timeout)


def make_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The Web API client; `SLACK_API_URL` points it at another base (tests, proxies)."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or AsyncWebClient.BASE_URL,
        session=session,
        timeout=int(TIMEOUT.total or 10),  # for a session slack_sdk would make itself
        retry_handlers=[
            RepeatableRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def with_token(base: AsyncWebClient, token: str) -> AsyncWebClient:
    """A client like `base` (URL, session, timeouts, retries) that calls with `token`."""
    return AsyncWebClient(
        token=token,
        base_url=base.base_url,
        session=base.session,
        timeout=base.timeout,
        retry_handlers=base.retry_handlers,
    )
