"""The outbox dispatcher: ordered per member, retried with backoff, never sent twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.engine.model import Accept, DeliveryKind
from bot.identity import Member
from bot.service.outbox import OutboxDispatcher, RetryPolicy
from bot.service.ports import MaybeSentError, OutgoingMessage
from bot.service.rounds import RoundService
from bot.store.database import Database
from bot.store.tables import outbox
from tests.fakes.recording import PermanentSendError, RecordingSender, TransientSendError
from tests.integration.test_service import ALICE, BOB

CAROL = Member("test", "T1", "carol")


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


class GatedSender(RecordingSender):
    """Holds sends to the members in `gates` until their gate opens, then fails with
    `after_gate` if one is set (a post that was slow, then timed out)."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[str, asyncio.Event] = {}
        self.waiting: set[str] = set()
        self.after_gate: Exception | None = None

    async def send(self, message: OutgoingMessage) -> str:
        gate = self.gates.get(message.member.user_id)
        if gate is not None and not gate.is_set():
            self.waiting.add(message.member.user_id)
            await gate.wait()
            if self.after_gate is not None:
                raise self.after_gate
        return await super().send(message)


async def test_a_maybe_sent_failure_is_remembered_and_the_next_attempt_checks_first(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await service.start_round([ALICE, BOB], initiator=ALICE)  # one row: Bob's invitation
    sender = RecordingSender()
    sender.fail_next(MaybeSentError("ServerDisconnectedError"))
    await _dispatcher(db, sender, clock).run_once()
    (row,) = (await _rows(db)).values()
    assert (row.status, row.maybe_sent, row.attempts) == ("pending", True, 1)
    # a new dispatcher (as after a restart) still knows the row may be on the platform
    clock.set(row.next_attempt_at)
    sender.fail_next(TransientSendError("ratelimited", retry_after=1))  # refused: not sent
    await _dispatcher(db, sender, clock).run_once()
    (row,) = (await _rows(db)).values()
    assert (row.status, row.maybe_sent) == ("pending", True)
    clock.set(row.next_attempt_at)
    await _dispatcher(db, sender, clock).run_once()
    (sent,) = sender.sent
    assert sent.maybe_sent
    (row,) = (await _rows(db)).values()
    assert row.status == "sent"


async def test_a_pass_never_puts_back_a_row_another_pass_took_over_and_sent(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await service.start_round([ALICE, BOB], initiator=ALICE)
    slow = GatedSender()
    slow.gates["bob"] = asyncio.Event()
    slow.after_gate = MaybeSentError("TimeoutError")
    first = OutboxDispatcher(db, {"test": slow}, clock, policy=RetryPolicy(), pass_seconds=0)
    await first.run_once()
    await slow.wait_for(lambda: "bob" in slow.waiting)
    clock.advance(RetryPolicy().lease + timedelta(seconds=1))  # the first pass's lease ran out
    second = RecordingSender()
    await _dispatcher(db, second, clock).run_once()
    assert [m.maybe_sent for m in second.sent] == [True]  # reclaimed: checked before posting
    slow.gates["bob"].set()  # the first pass's send now fails: it must leave the row alone
    await first.drain()
    (row,) = (await _rows(db)).values()
    assert (row.status, row.message_id) == ("sent", f"msg-{row.id}")
    clock.advance(timedelta(hours=1))
    assert await _dispatcher(db, RecordingSender(), clock).run_once() == 0


async def test_one_slow_member_does_not_hold_back_anyone_elses_messages(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await service.start_round([ALICE, BOB], initiator=ALICE)  # Bob's invitation
    sender = GatedSender()
    sender.gates["bob"] = asyncio.Event()
    dispatcher = OutboxDispatcher(
        db, {"test": sender}, clock, {"test": 1000.0}, RetryPolicy(), pass_seconds=0.01
    )
    assert await dispatcher.run_once() == 1  # returns although Bob's send hangs
    await sender.wait_for(lambda: "bob" in sender.waiting)
    carol_round = await service.start_round([CAROL, ALICE], initiator=CAROL)
    assert carol_round.ok
    assert await dispatcher.run_once() == 1  # Alice's invitation goes out meanwhile
    assert [m.kind for m in sender.to("alice")] == [DeliveryKind.INVITATION]
    sender.gates["bob"].set()
    await dispatcher.drain()
    assert [m.kind for m in sender.to("bob")] == [DeliveryKind.INVITATION]
    rows = await _rows(db)
    assert {r.status for r in rows.values()} == {"sent"}


async def test_the_in_flight_set_is_bounded(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await service.start_round([ALICE, BOB], initiator=ALICE)
    await service.start_round([CAROL, ALICE], initiator=CAROL)
    sender = GatedSender()
    sender.gates = {"bob": asyncio.Event(), "alice": asyncio.Event()}
    dispatcher = OutboxDispatcher(
        db, {"test": sender}, clock, policy=RetryPolicy(), max_in_flight=1, pass_seconds=0
    )
    assert await dispatcher.run_once(batch=1) == 1
    second = asyncio.create_task(dispatcher.run_once(batch=1))
    await sender.wait_for(lambda: bool(sender.waiting))
    assert not second.done() and len(sender.waiting) == 1  # waits for room before claiming
    for gate in sender.gates.values():
        gate.set()
    assert await second == 1
    await dispatcher.drain()
    assert len(sender.sent) == 2
