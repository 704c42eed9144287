"""`/rapport` text parsing and the sender's Slack error mapping (no I/O)."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.slack import commands
from bot.adapters.slack.commands import (
    Help,
    OptOut,
    Pause,
    Start,
    Status,
    Stop,
    TeamQuestions,
    TeamSettings,
    Timezone,
    Usage,
    parse,
)
from bot.adapters.slack.sender import send_error
from bot.adapters.slack.wire import ModalMeta, decode_target, encode_target
from bot.engine.model import Pace
from bot.service.ports import MaybeSentError, PermanentSendError, TransientSendError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("start <@U0BOB|bob>", Start(("U0BOB",), None)),  # the workspace's default pace
        ("start <@U0BOB> live", Start(("U0BOB",), Pace.LIVE)),
        ("START <@U0BOB|bob> daily", Start(("U0BOB",), Pace.DAILY)),
        ("start <@U0BOB|bob> <@U0CAROL|carol>", Start(("U0BOB", "U0CAROL"), None)),
        ("start <@W0ENT|x>", Start(("W0ENT",), None)),
        ("settings", TeamSettings(())),
        ("settings depth 4", TeamSettings(("depth", "4"))),
        ("questions review", TeamQuestions(("review",))),
        ("status", Status()),
        ("stop", Stop()),
        ("help", Help()),
        ("optout", OptOut(True)),
        ("optin", OptOut(False)),
        ("pause 2w", Pause(timedelta(weeks=2))),
        ("pause 3 days", Pause(timedelta(days=3))),
        ("pause off", Pause(None)),
        ("timezone Europe/Berlin", Timezone("Europe/Berlin")),
    ],
)
def test_subcommands_parse(text: str, expected: commands.Request) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "dance",
        "start",
        "start @bob",  # not a real mention: Slack didn't escape it
        "start <@U0A> <@U0B> <@U0C>",
        "start <@U0BOB|bob> weekly",
        "pause",
        "pause forever",
        "pause 99w",
        "timezone",
        "status now",
    ],
)
def test_unknown_or_malformed_gets_usage(text: str) -> None:
    request = parse(text)
    assert isinstance(request, Usage)
    assert commands.usage() in request.text


def test_usage_names_the_unknown_word_without_breaking_formatting() -> None:
    request = parse("`boom`")
    assert isinstance(request, Usage) and "`boom`" in request.text


def test_values_round_trip() -> None:
    assert decode_target(encode_target("abc", 3)) is not None
    assert decode_target(encode_target("abc", 3)).number == 3  # type: ignore[union-attr]
    assert decode_target(encode_target("abc", None)).number is None  # type: ignore[union-attr]
    assert decode_target(":3") is None and decode_target("abc:x") is None
    assert ModalMeta.decode("not json") is None


def _api_error(error: str, status: int = 200, headers: dict | None = None) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError(error, response)


@pytest.mark.parametrize(
    "error",
    ["channel_not_found", "user_not_found", "cannot_dm_bot", "account_inactive", "not_in_channel"],
)
def test_permanent_slack_errors(error: str) -> None:
    mapped = send_error(_api_error(error))
    assert isinstance(mapped, PermanentSendError) and mapped.reason == error


def test_rate_limits_and_outages_are_transient() -> None:
    limited = send_error(_api_error("ratelimited", 429, {"Retry-After": "7"}))
    assert isinstance(limited, TransientSendError) and limited.retry_after == 7.0
    assert isinstance(send_error(_api_error("ratelimited")), TransientSendError)
    assert isinstance(send_error(_api_error("internal_error", 500)), TransientSendError)
    assert isinstance(send_error(ConnectionResetError()), TransientSendError)


def test_a_post_that_may_have_reached_slack_is_maybe_sent_a_refused_one_is_not() -> None:
    for outcome_unknown in (
        _api_error("internal_error", 500),
        _api_error("fatal_error", 200),
        aiohttp.ServerDisconnectedError(),
        TimeoutError(),
    ):
        assert isinstance(send_error(outcome_unknown, posting=True), MaybeSentError)
        assert not isinstance(send_error(outcome_unknown), MaybeSentError)  # a read, say
    refused = send_error(_api_error("ratelimited", 429, {"Retry-After": "2"}), posting=True)
    assert not isinstance(refused, MaybeSentError) and refused.retry_after == 2.0
    never_connected = aiohttp.ConnectionTimeoutError()
    assert not isinstance(send_error(never_connected, posting=True), MaybeSentError)
