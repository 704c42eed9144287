"""Durable before acknowledged, and direct Web API calls from listeners, against FakeSlack.

Slack is told "received" only once the command is committed: a commit that fails leaves the
request unacknowledged (Socket Mode: no ack; HTTP: a 500), so Slack redelivers an event and a
person can press again, and what was acked is always stored. Faults are injected into the
database commit (`SlackHarness.failing_commits`) and into the fake's Web API, never by sleeping.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.adapters.slack.blocks import kind_of
from bot.adapters.slack.round_handlers import FORM_UNAVAILABLE
from bot.adapters.slack.wire import ACTION_IDS, ModalMeta, decode_target
from bot.messages.model import Action
from tests.fakes.slack.harness import ALICE, BOB, SlackHarness, control, has_control
from tests.fakes.slack.payloads import Inbound

from .conftest import RapportStarter
from .test_slack_adapter import MODES, active_round, alices_answer_modal, invite_bob


async def _answered(slack: SlackHarness, round_id: str, user: str) -> bool:
    state = await slack.rapport.service.load(round_id)
    assert state is not None and state.current is not None
    return any(key.endswith(f":{user}") for key in state.current.answers)


async def _unacked(slack: SlackHarness, inbound: Inbound, retry: int | None = None) -> None:
    """Deliver `inbound` while its commit fails; Slack must not have been acknowledged."""
    finished = slack.handlers.activity.finished
    with slack.failing_commits(1) as left:
        if slack.mode == "socket":
            envelope_id = await slack.fake.send(inbound, retry_attempt=retry)
            await slack.handlers.activity.wait_finished(finished + 1)
            assert envelope_id not in slack.fake.acks
        else:
            reply = await slack.fake.post_to_app(slack.events_url, inbound, retry_num=retry)
            assert reply.status == 500
        assert left == [0]  # the fault was hit


@MODES
async def test_slack_hears_back_only_once_the_answer_is_stored(
    start_rapport: RapportStarter, mode: str
) -> None:
    slack, modal = await alices_answer_modal(start_rapport, mode)
    meta = ModalMeta.decode(modal["private_metadata"])
    assert meta is not None
    ack = await slack.deliver(slack.submission(ALICE, modal, "stored before the ack"))
    assert ack is None or "response_action" not in ack  # a plain ack: the modal closes
    assert await _answered(slack, meta.round_id, ALICE)  # no waiting: it was committed first


@MODES
@pytest.mark.allow_error_logs  # the failed commit is logged
async def test_a_modal_answer_whose_commit_failed_was_not_acked_and_can_be_sent_again(
    start_rapport: RapportStarter, mode: str
) -> None:
    slack, modal = await alices_answer_modal(start_rapport, mode)
    meta = ModalMeta.decode(modal["private_metadata"])
    assert meta is not None
    await _unacked(slack, slack.submission(ALICE, modal, "first try"))
    assert not await _answered(slack, meta.round_id, ALICE)
    # the form showed Slack's error and stayed open: Alice presses Submit again
    await slack.handled(slack.submission(ALICE, modal, "first try"))
    assert await _answered(slack, meta.round_id, ALICE)
    assert (await slack.wait_dms(ALICE, 3))[-1] == "answer_held"


@MODES
@pytest.mark.allow_error_logs  # the failed commit is logged
async def test_a_dm_answer_whose_commit_failed_is_redelivered_by_slack_and_stored_once(
    start_rapport: RapportStarter, mode: str
) -> None:
    slack = await start_rapport(mode)
    prompt, _ = await active_round(slack)
    target = decode_target(control(prompt, ACTION_IDS[Action.ANSWER])["value"])
    assert target is not None
    answer = slack.dm("typed in the DM", ALICE)
    await _unacked(slack, answer)
    before = await slack.outbox_count()
    assert before == len(slack.dms(ALICE)) + len(slack.dms(BOB))  # nothing new was queued
    await slack.handled(answer, retry_num=1)  # Slack's redelivery, same event id
    await slack.wait_dms(ALICE, 3)
    assert slack.kinds(ALICE)[-1] == "answer_held"
    queued = await slack.outbox_count()
    await slack.handled(answer, retry_num=2)  # one more redelivery changes nothing
    assert await slack.outbox_count() == queued
    assert await _answered(slack, target.round_id, ALICE)


@MODES
@pytest.mark.allow_error_logs  # the failed commit is logged
async def test_an_accept_whose_commit_failed_was_not_acked_and_a_second_press_works(
    start_rapport: RapportStarter, mode: str
) -> None:
    slack = await start_rapport(mode)
    invitation = await invite_bob(slack)
    await _unacked(slack, slack.click(BOB, invitation, Action.ACCEPT))
    assert slack.kinds(BOB) == ["invitation"]
    await slack.handled(slack.click(BOB, invitation, Action.ACCEPT))
    assert "prompt" in await slack.wait_dms(BOB, 2)


# ================================================= direct Web API calls from listeners


async def _press_answer(slack: SlackHarness, prompt: dict[str, Any]) -> None:
    await slack.handled(slack.click(ALICE, prompt, Action.ANSWER))


async def test_the_answer_form_opens_despite_one_server_error(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    prompt, _ = await active_round(slack)
    slack.fake.fail_next("views.open", status=500)
    await _press_answer(slack, prompt)
    first, second = slack.fake.calls_to("views.open")
    assert first.status == 500 and second.ok
    assert not [r for r in slack.fake.responses() if FORM_UNAVAILABLE in str(r)]


async def test_a_form_opened_by_a_request_whose_answer_was_lost_counts_as_open(
    start_rapport: RapportStarter, caplog: pytest.LogCaptureFixture
) -> None:
    slack = await start_rapport()
    prompt, _ = await active_round(slack)
    slack.fake.fail_next("views.open", status=503, stored=True)  # opened, then a 503
    await _press_answer(slack, prompt)
    assert [c.response.get("error") for c in slack.fake.calls_to("views.open")] == [
        None,
        "exchanged_trigger_id",
    ]
    assert len(slack.fake.views) == 1
    assert not [r for r in slack.fake.responses() if FORM_UNAVAILABLE in str(r)]


async def test_a_form_that_cannot_open_is_explained_to_the_member_in_one_warning(
    start_rapport: RapportStarter, caplog: pytest.LogCaptureFixture
) -> None:
    slack = await start_rapport()
    prompt, _ = await active_round(slack)
    slack.fake.fail_next("views.open", status=500, error="internal_error", times=3)
    before = len(slack.fake.responses())
    with caplog.at_level(logging.WARNING, logger="bot.adapters.slack.round_handlers"):
        await _press_answer(slack, prompt)
        (told,) = await slack.fake.wait_for(lambda: slack.fake.responses()[before:])
    assert told["text"] == FORM_UNAVAILABLE and told["response_type"] == "ephemeral"
    (warning,) = [r for r in caplog.records if r.name == "bot.adapters.slack.round_handlers"]
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert "views.open" in warning.getMessage() and "internal_error" in warning.getMessage()


async def test_settling_a_clicked_message_is_retried_after_a_server_error(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    invitation = await invite_bob(slack)
    slack.fake.fail_next("chat.update", status=503)
    await slack.handled(slack.click(BOB, invitation, Action.ACCEPT))
    settled = slack.fake.message(invitation["channel"], invitation["ts"])
    assert not has_control(settled, ACTION_IDS[Action.ACCEPT])
    assert [c.status for c in slack.fake.calls_to("chat.update")] == [503, 200]
    assert kind_of(settled) == "invitation"


@pytest.mark.allow_error_logs  # the failed commit is logged
async def test_slacks_own_redelivery_of_an_unacked_event_is_the_one_that_counts(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport("http")
    await active_round(slack)
    with slack.failing_commits(1) as left:
        acked_on = await slack.fake.deliver_event(
            slack.dm("redelivered", ALICE), url=slack.events_url
        )
    assert (acked_on, left) == (1, [0])  # the first retry (X-Slack-Retry-Num: 1) was acked
    assert (await slack.wait_dms(ALICE, 3))[-1] == "answer_held"
