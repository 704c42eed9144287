"""No answer text and no secret ever reaches a log line, even at DEBUG for every logger."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import TypeAdapter, ValidationError

from bot.bootstrap import build
from bot.clock import FakeClock
from bot.config import Settings
from bot.engine.model import (
    Accept,
    AskFollowUp,
    DeliveryKind,
    RoundStatus,
    SkipFollowUp,
    SubmitAnswer,
    Swap,
)
from bot.ops.logging import (
    LIBRARY_CAPS,
    HumanFormatter,
    JsonFormatter,
    configure_logging,
    secret_values,
)
from bot.service.outbox import RetryPolicy
from bot.service.ports import TransientSendError
from tests.adapters.logs import leaks, production_logs
from tests.fakes.recording import RecordingSender
from tests.integration.test_service import ALICE, BOB

SECRETS = {
    "slack_bot_token": "xoxb-000-hygiene-bot-token",
    "slack_app_token": "xapp-000-hygiene-app-token",
    "slack_signing_secret": "hygiene-signing-secret-0000",
    "discord_token": "MTA.hygiene.discord-token",
}
MARKER = "zebra-orchid"  # every answer text contains it


class _Capture(logging.Handler):
    """Every record that reaches the root, formatted as JSON without any redaction."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[_Capture]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_CAPS}
    capture = _Capture()
    yield capture
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


async def test_a_whole_round_logs_no_answer_and_no_secret(
    settings: Settings, clock: FakeClock, tiny_banks: dict, captured: _Capture
) -> None:
    settings = settings.model_copy(update={**SECRETS, "tick_seconds": 0.02, "follow_ups": True})
    output = io.StringIO()
    logging.getLogger().addHandler(captured)  # first: it sees records before any filter does
    configure_logging("DEBUG", secrets=secret_values(settings), stream=output, json_lines=True)
    sender = RecordingSender()
    sender.fail_next(TransientSendError("rate limited", retry_after=0))
    app = build(
        settings,
        senders={"test": sender},
        clock=clock,
        banks=tiny_banks,
        retry_policy=RetryPolicy(base_seconds=0),
    )
    await app.start()
    try:
        await _play_a_whole_round(app, sender)
    finally:
        await app.stop()

    lines = captured.lines + output.getvalue().splitlines()
    assert any("now completed" in line for line in lines)  # the capture did see the round
    leaks = [line for line in lines if MARKER in line or any(s in line for s in SECRETS.values())]
    assert leaks == []


async def test_a_whole_round_with_every_library_at_debug_logs_no_answer(
    settings: Settings, clock: FakeClock, tiny_banks: dict
) -> None:
    """SQLAlchemy at DEBUG logs result rows (round states hold the answers) and more."""
    settings = settings.model_copy(update={**SECRETS, "tick_seconds": 0.02, "follow_ups": True})
    sender = RecordingSender()
    with production_logs("DEBUG", secret_values(settings)) as output:
        app = build(settings, senders={"test": sender}, clock=clock, banks=tiny_banks)
        await app.start()
        try:
            await _play_a_whole_round(app, sender)
        finally:
            await app.stop()

    logged = output.getvalue()
    assert "now completed" in logged and "Row " in logged  # rows were logged
    assert leaks(logged, [MARKER, *SECRETS.values()]) == []


async def _play_a_whole_round(app: object, sender: RecordingSender) -> None:
    service = app.service  # type: ignore[attr-defined]
    started = await service.start_round([ALICE, BOB], initiator=ALICE)
    round_id = started.round_id
    await service.act(round_id, Accept(BOB.key), event_key="evt-accept")
    await service.act(round_id, Accept(BOB.key), event_key="evt-accept")  # a platform retry
    await service.act(round_id, Swap(BOB.key))
    too_long = await service.act(round_id, SubmitAnswer(ALICE.key, MARKER * 400))
    assert not too_long.ok
    while True:
        state = await service.load(round_id)
        if state.status is RoundStatus.COMPLETED:
            break
        if state.follow_up is not None:  # the first time both ask (content!), then one passes
            step = state.follow_up.after_step
            if state.follow_ups_offered > 1:
                await service.act(round_id, SkipFollowUp(BOB.key, step))
                continue
            for member in (ALICE, BOB):
                await service.act(round_id, AskFollowUp(member.key, f"{MARKER} ask {step}?"))
            continue
        step = state.current.number
        await service.act(round_id, SubmitAnswer(ALICE.key, f"{MARKER} alice {step}"))
        await service.answer_from_dm(BOB, f"{MARKER} bob {step}", event_key=f"dm-{step}")
    await sender.wait_for(lambda: len(sender.to("bob", DeliveryKind.COMPLETED)) == 1)
    await sender.wait_for(lambda: len(sender.to("alice", DeliveryKind.COMPLETED)) == 1)
    assert any(MARKER in str(m.data) for m in sender.to("bob", DeliveryKind.REVEAL))
    assert any(MARKER in str(m.data) for m in sender.to("bob", DeliveryKind.FOLLOW_UP_QUESTIONS))


# --- the privacy filter on Rapport's handler, for records from anywhere -------------------------

TYPED = f'My {MARKER} answer, isn\'t it "nice"?'  # quotes of both kinds, escaped in reprs
UNCONFIGURED_TOKENS = (
    "xoxb-1111-2222-unconfiguredBotToken",
    "xoxp-1111-2222-3333-unconfiguredUserToken",
    "xapp-1-A0-4444-unconfiguredAppToken",
    "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB",
)


@pytest.mark.parametrize("json_lines", [True, False])
def test_lazy_args_of_a_library_line_never_seen_before_lose_their_content(
    json_lines: bool,
) -> None:
    envelope = {"type": "events_api", "payload": {"event": {"type": "message", "text": TYPED}}}
    with production_logs("DEBUG") as output:
        output_format(json_lines)
        new = logging.getLogger("slack_sdk.some_future_module")
        new.debug("Got envelope %s (%r)", json.dumps(envelope), {"content": TYPED, "id": 7})

    logged = output.getvalue()
    assert "Got envelope" in logged and "'id': 7" in logged  # the rest of the line stays
    assert MARKER not in logged


@pytest.mark.allow_error_logs
def test_a_traceback_with_the_input_in_it_loses_the_input() -> None:
    with production_logs("INFO") as output:
        try:
            TypeAdapter(int).validate_python(TYPED)  # pydantic puts input_value='...' in it
        except ValidationError:
            logging.getLogger("bot.adapters.test").exception("could not read the answer")

    (entry,) = [json.loads(line) for line in output.getvalue().splitlines()]
    assert "ValidationError" in entry["exc"] and "input_value=" in entry["exc"]
    assert MARKER not in output.getvalue()


def test_extra_fields_lose_content_and_tokens() -> None:
    with production_logs("INFO") as output:
        logging.getLogger("bot.test").info(
            "sent",
            extra={
                "text": TYPED,
                "delivery": {"blocks": [{"text": {"text": TYPED}}], "channel": "D1"},
                "header": f"Bearer {UNCONFIGURED_TOKENS[0]}",
            },
        )

    (entry,) = [json.loads(line) for line in output.getvalue().splitlines()]
    assert entry["delivery"]["channel"] == "D1"
    assert MARKER not in output.getvalue() and UNCONFIGURED_TOKENS[0] not in output.getvalue()


def test_tokens_are_withheld_by_their_shape_even_when_not_configured() -> None:
    interaction = "/api/v10/interactions/123456/aW50ZXJhY3Rpb246c2VjcmV0/callback"
    with production_logs("DEBUG") as output:
        log = logging.getLogger("aiohttp.client")
        for token in UNCONFIGURED_TOKENS:
            log.debug("authorising with %s", token)
        log.debug("POST %s", interaction)

    logged = output.getvalue()
    assert [t for t in UNCONFIGURED_TOKENS if t in logged] == []
    assert "aW50ZXJhY3Rpb24" not in logged and "/interactions/123456/" in logged


def rapport_handler() -> logging.Handler:
    (handler,) = [h for h in logging.getLogger().handlers if getattr(h, "_rapport_handler", 0)]
    return handler


def output_format(json_lines: bool) -> None:
    """Switch Rapport's handler to JSON lines or terminal lines (same filter either way)."""
    rapport_handler().setFormatter(JsonFormatter() if json_lines else HumanFormatter())


def test_a_line_that_cannot_be_formatted_is_withheld_not_dumped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """logging's own error report would print the message and its arguments to stderr."""
    with production_logs("INFO") as output:
        bad = logging.makeLogRecord({"name": "bot.test", "msg": "answer %d", "args": (TYPED,)})
        rapport_handler().handle(bad)  # straight to it: pytest's own handler would raise

    assert "could not be cleaned" in output.getvalue()
    assert MARKER not in output.getvalue() + capsys.readouterr().err
