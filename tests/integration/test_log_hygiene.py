"""No answer text and no secret ever reaches a log line, even at DEBUG for every logger."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.bootstrap import build
from bot.clock import FakeClock
from bot.config import Settings
from bot.engine.model import Accept, DeliveryKind, RoundStatus, SubmitAnswer, Swap
from bot.ops.logging import LIBRARY_CAPS, JsonFormatter, configure_logging, secret_values
from bot.service.outbox import RetryPolicy
from bot.service.ports import TransientSendError
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
    settings = settings.model_copy(update={**SECRETS, "tick_seconds": 0.02})
    output = io.StringIO()
    configure_logging("DEBUG", secrets=secret_values(settings), stream=output, json_lines=True)
    logging.getLogger().addHandler(captured)
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
        step = state.current.number
        await service.act(round_id, SubmitAnswer(ALICE.key, f"{MARKER} alice {step}"))
        await service.answer_from_dm(BOB, f"{MARKER} bob {step}", event_key=f"dm-{step}")
    await sender.wait_for(lambda: len(sender.to("bob", DeliveryKind.COMPLETED)) == 1)
    await sender.wait_for(lambda: len(sender.to("alice", DeliveryKind.COMPLETED)) == 1)
    assert any(MARKER in str(m.data) for m in sender.to("bob", DeliveryKind.REVEAL))
