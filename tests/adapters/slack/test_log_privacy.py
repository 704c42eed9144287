"""Hostile Slack requests leave no answer, DM text or token in the log, at INFO or at DEBUG.

slack-bolt logs a request's whole body when its signature is wrong or stale (INFO), a summary of
requests no listener handled (WARNING, with typed values for some kinds), and at DEBUG the
Socket Mode client and the Web API client log raw envelopes and request bodies. Each test sends
one hostile request per level (and, for the unhandled kinds, per mode: Socket Mode logs raw
envelopes, HTTP mode so far does not) to the real app on FakeSlack and reads what Rapport's
configured handler wrote. A last test plays answers and a reveal with every library at DEBUG.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.adapters.slack.wire import ANSWER_BLOCK, ANSWER_CALLBACK, ANSWER_INPUT
from bot.ops.logging import secret_values
from tests.adapters.logs import LogStream, leaks, production_logs
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import ALICE, BOB, SlackHarness
from tests.fakes.slack.payloads import Inbound

from .conftest import RapportStarter
from .test_slack_adapter import active_round

MARKER = "velvet-kumquat"  # in every text a person typed
LEVELS = ("INFO", "DEBUG")


def secrets(fake: FakeSlack) -> list[str]:
    return [
        MARKER,
        fake.bot_token,
        fake.app_token,
        fake.signing_secret,
        fake.payloads.verification_token,
    ]


def answer_submission(fake: FakeSlack) -> Inbound:
    return fake.payloads.view_submission(
        callback_id=ANSWER_CALLBACK,
        values={ANSWER_BLOCK: {ANSWER_INPUT: f"My {MARKER} secret answer"}},
        user_id=ALICE,
    )


def click_on_a_reveal(fake: FakeSlack) -> Inbound:
    """A button no listener knows, on a DM whose blocks show a revealed answer."""
    dm, ts = fake.dm_channel(ALICE), fake.payloads.next_ts()
    reveal = {
        "type": "message",
        "ts": ts,
        "text": f"Bob answered: {MARKER}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*Bob* {MARKER}"}}],
    }
    return fake.payloads.button_click(
        action_id="rapport_retired_button",
        value=f"{MARKER}-value",
        user_id=ALICE,
        channel_id=dm,
        message_ts=ts,
        message=reveal,
    )


def typed_into_an_unknown_select(fake: FakeSlack) -> Inbound:
    """A `block_suggestion` (external select typeahead): bolt's summary includes the typed text."""
    payload: dict[str, Any] = {
        "type": "block_suggestion",
        "user": {"id": ALICE, "team_id": fake.team_id},
        "team": {"id": fake.team_id, "domain": fake.team_domain},
        "api_app_id": fake.app_id,
        "token": fake.payloads.verification_token,
        "action_id": "rapport_unknown_select",
        "block_id": "pick",
        "value": f"typed {MARKER}",
        "container": {"type": "view", "view_id": "V0001"},
    }
    return Inbound("interactive", payload)


def unsubscribed_event(fake: FakeSlack) -> Inbound:
    """An event type Rapport has no listener for, carrying a message's text."""
    dm = fake.dm_channel(ALICE)
    return fake.payloads.event(
        {
            "type": "reaction_added",
            "user": ALICE,
            "reaction": "heart",
            "item": {"type": "message", "channel": dm, "ts": fake.payloads.next_ts()},
            "text": f"reacted to {MARKER}",
            "event_ts": fake.payloads.next_ts(),
        }
    )


async def deliver(slack: SlackHarness, inbound: Inbound, **signing: Any) -> int | None:
    """Send as the mode does; the HTTP status (Socket Mode: None; bolt acks no unhandled one)."""
    if slack.mode == "socket":
        await slack.fake.send(inbound)
        return None
    reply = await slack.fake.post_to_app(slack.events_url, inbound, **signing)
    return reply.status


async def played_at_each_level(
    slack: SlackHarness, inbound: Inbound, expected_status: int, logged: str, **signing: Any
) -> list[LogStream]:
    """Send `inbound` once per level; each level's log output, once `logged` was written."""
    outputs = []
    for level in LEVELS:
        with production_logs(level, secret_values(slack.settings)) as output:
            status = await deliver(slack, inbound, **signing)
            assert status in (None, expected_status)
            await output.wait_for(logged)
            if slack.mode == "socket":  # the last line bolt writes for an unhandled envelope
                await output.wait_for("Unsuccessful Bolt execution result")
        outputs.append(output)
    return outputs


def assert_clean(outputs: list[LogStream], fake: FakeSlack) -> None:
    info, debug = (o.getvalue() for o in outputs)
    # DEBUG really said more: debug records were written (a line count could be beaten by an
    # INFO line the app writes in the background meanwhile)
    assert any(json.loads(line)["level"] == "DEBUG" for line in debug.splitlines())
    assert leaks(info, secrets(fake)) == []
    assert leaks(debug, secrets(fake)) == []


async def in_both_modes(start_rapport: RapportStarter) -> list[SlackHarness]:
    """A Socket Mode app and an HTTP-mode app on the same FakeSlack."""
    return [await start_rapport("socket"), await start_rapport("http")]


# ===================================================================== HTTP mode: signatures


async def test_a_stale_signature_logs_no_answer(start_rapport: RapportStarter) -> None:
    slack = await start_rapport("http")
    an_hour_ago = int(time.time()) - 3600  # correctly signed, but replayed (bolt: wall clock)

    outputs = await played_at_each_level(
        slack,
        answer_submission(slack.fake),
        401,
        "Invalid request signature detected",
        timestamp=an_hour_ago,
    )

    assert_clean(outputs, slack.fake)
    assert f"timestamp: {an_hour_ago}" in outputs[0].getvalue()  # the useful part stays


async def test_a_wrong_signature_logs_no_answer(start_rapport: RapportStarter) -> None:
    slack = await start_rapport("http")

    outputs = await played_at_each_level(
        slack,
        answer_submission(slack.fake),
        401,
        "Invalid request signature detected",
        signing_secret="forged-signing-secret",
    )

    assert_clean(outputs, slack.fake)


# ===================================================================== both modes: unhandled


async def test_an_unknown_action_id_logs_no_message_text(start_rapport: RapportStarter) -> None:
    for slack in await in_both_modes(start_rapport):
        outputs = await played_at_each_level(
            slack, click_on_a_reveal(slack.fake), 404, "Unhandled request"
        )

        assert_clean(outputs, slack.fake)
        assert "rapport_retired_button" in outputs[0].getvalue()  # which action is still logged


async def test_an_unknown_suggestion_logs_no_typed_text(start_rapport: RapportStarter) -> None:
    for slack in await in_both_modes(start_rapport):
        outputs = await played_at_each_level(
            slack, typed_into_an_unknown_select(slack.fake), 404, "Unhandled request"
        )

        assert_clean(outputs, slack.fake)


async def test_an_unsubscribed_event_logs_no_text(start_rapport: RapportStarter) -> None:
    for slack in await in_both_modes(start_rapport):
        outputs = await played_at_each_level(
            slack, unsubscribed_event(slack.fake), 404, "Unhandled request"
        )

        assert_clean(outputs, slack.fake)
        assert "reaction_added" in outputs[0].getvalue()


# ===================================================================== an honest round at DEBUG


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_answers_and_reveals_at_debug_log_no_text(
    start_rapport: RapportStarter, mode: str
) -> None:
    """DMs arrive as envelopes or events; reveals leave as chat.postMessage bodies."""
    with production_logs("DEBUG") as output:
        slack = await start_rapport(mode)
        await active_round(slack)
        await slack.handled(slack.dm(f"Alice {MARKER} answer", ALICE))
        await slack.handled(slack.dm(f"Bob {MARKER} answer", BOB))
        await slack.wait_dms(BOB, 3)
        assert MARKER in str(slack.last(BOB, "reveal")["blocks"])  # the reveal went out

    logged = output.getvalue()
    assert "chat.postMessage" in logged and "Received the following response" in logged
    assert leaks(logged, secrets(slack.fake)) == []
