"""Deadlines live in the database: a reminder survives a full restart and is sent exactly once."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import Rapport, build
from bot.clock import FakeClock
from bot.config import Settings
from bot.engine.model import Accept, DeliveryKind, SubmitAnswer
from tests.fakes.recording import RecordingSender
from tests.integration.test_service import ALICE, BOB


def _app(settings: Settings, clock: FakeClock, banks: dict, sender: RecordingSender) -> Rapport:
    fast = settings.model_copy(update={"tick_seconds": 0.02})
    return build(fast, senders={"test": sender}, clock=clock, banks=banks)


async def test_a_reminder_deadline_survives_a_restart_and_fires_once(
    settings: Settings, clock: FakeClock, tiny_banks: dict
) -> None:
    first_sender = RecordingSender()
    first = _app(settings, clock, tiny_banks, first_sender)
    await first.start()
    started = await first.service.start_round([ALICE, BOB], initiator=ALICE)
    assert started.round_id
    await first.service.act(started.round_id, Accept(BOB.key))
    await first.service.act(started.round_id, SubmitAnswer(ALICE.key, "mine"))
    await first_sender.wait_for(lambda: len(first_sender.to("bob", DeliveryKind.PROMPT)) == 1)
    state = await first.service.load(started.round_id)
    assert state is not None and state.due_at == clock.now() + timedelta(hours=24)
    await first.stop()

    second_sender = RecordingSender()
    second = _app(settings, clock, tiny_banks, second_sender)
    await second.start()
    try:
        clock.advance(timedelta(hours=24, minutes=1))
        await second_sender.wait_for(lambda: bool(second_sender.to("bob", DeliveryKind.REMINDER)))
        # let the interval job run a few more times: still exactly one reminder
        ticks = second.scheduler.scheduler.get_job("rapport-tick")
        assert ticks is not None
        await second.tick()
        await second.tick()
    finally:
        await second.stop()
    assert len(second_sender.to("bob", DeliveryKind.REMINDER)) == 1
    assert second_sender.to("alice", DeliveryKind.REMINDER) == []
    assert first_sender.to("bob", DeliveryKind.REMINDER) == []
