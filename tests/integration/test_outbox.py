"""The outbox dispatcher: ordered per member, retried with backoff, never sent twice."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.engine.model import Accept, DeliveryKind
from bot.service.outbox import OutboxDispatcher, RetryPolicy
from bot.service.rounds import RoundService
from bot.store.database import Database
from bot.store.tables import outbox
from tests.fakes.recording import PermanentSendError, RecordingSender, TransientSendError
from tests.integration.test_service import ALICE, BOB


def _dispatcher(db: Database, sender: RecordingSender, clock: FakeClock) -> OutboxDispatcher:
    return OutboxDispatcher(db, {"test": sender}, clock, {"test": 1000.0}, RetryPolicy())


async def _rows(db: Database) -> dict[int, sa.Row]:
    async with db.transaction() as conn:
        return {r.id: r for r in await conn.execute(sa.select(outbox))}


async def _start(service: RoundService) -> str:
    started = await service.start_round([ALICE, BOB], initiator=ALICE)
    assert started.round_id
    await service.act(started.round_id, Accept(BOB.key))
    return started.round_id


async def test_sent_deliveries_are_marked_with_the_platform_message_id_and_never_resent(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await _start(service)
    sender = RecordingSender()
    dispatcher = _dispatcher(db, sender, clock)
    assert await dispatcher.run_once() == 4
    assert await dispatcher.run_once() == 0
    clock.advance(timedelta(hours=1))
    assert await dispatcher.run_once() == 0
    assert len(sender.sent) == 4
    rows = await _rows(db)
    assert {(r.status, r.message_id) for r in rows.values()} == {("sent", f"msg-{i}") for i in rows}


async def test_a_transient_failure_is_retried_later_and_keeps_that_members_order(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await _start(service)
    sender = RecordingSender()
    dispatcher = _dispatcher(db, sender, clock)
    sender.fail_next(TransientSendError("429", retry_after=30))  # Bob's invitation
    await dispatcher.run_once()
    assert [m.kind for m in sender.to("bob")] == []
    assert [m.kind for m in sender.to("alice")] == [
        DeliveryKind.INVITATION_ACCEPTED,
        DeliveryKind.PROMPT,
    ]
    clock.advance(timedelta(seconds=29))
    await dispatcher.run_once()
    assert sender.to("bob") == []
    clock.advance(timedelta(seconds=1))
    await dispatcher.run_once()
    assert [m.kind for m in sender.to("bob")] == [DeliveryKind.INVITATION, DeliveryKind.PROMPT]


async def test_backoff_grows_and_gives_up_with_the_reason_recorded(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await service.start_round([ALICE, BOB], initiator=ALICE)
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(
        db, {"test": sender}, clock, policy=RetryPolicy(max_attempts=4, base_seconds=10)
    )
    waits = []
    for _ in range(4):
        sender.fail_next(TransientSendError("timeout"))
        before = clock.now()
        await dispatcher.run_once()
        (row,) = (await _rows(db)).values()
        if row.status == "pending":
            waits.append((row.next_attempt_at - before).total_seconds())
            clock.set(row.next_attempt_at)
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2] <= 40
    (row,) = (await _rows(db)).values()
    assert row.status == "failed" and "timeout" in row.error and sender.sent == []


async def test_a_permanent_failure_is_recorded_and_not_retried(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await service.start_round([ALICE, BOB], initiator=ALICE)
    sender = RecordingSender()
    dispatcher = _dispatcher(db, sender, clock)
    sender.fail_next(PermanentSendError("dms_closed"))
    await dispatcher.run_once()
    clock.advance(timedelta(days=1))
    await dispatcher.run_once()
    (row,) = (await _rows(db)).values()
    assert (row.status, row.error) == ("failed", "dms_closed")
    assert sender.sent == []


async def test_a_delivery_waits_for_the_members_daytime(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await service.start_round([ALICE, BOB], initiator=ALICE)
    async with db.transaction() as conn:
        await conn.execute(
            outbox.update().values(
                not_before=clock.now() + timedelta(hours=3),
                next_attempt_at=clock.now() + timedelta(hours=3),
            )
        )
    sender = RecordingSender()
    dispatcher = _dispatcher(db, sender, clock)
    assert await dispatcher.run_once() == 0
    clock.advance(timedelta(hours=3))
    assert await dispatcher.run_once() == 1
