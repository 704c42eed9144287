"""The outbox dispatcher: sends queued deliveries through each platform's sender.

Rows are claimed with a lease so two dispatchers never send the same row; a row marked sent is
never sent again. Messages to one member go out in the order they were queued; transient failures
back off exponentially with jitter (or as long as the platform asked); permanent ones are recorded
with their reason.

A pass only ever changes rows it still holds (status "sending" with its own lease), so a row
another pass took over after the lease ran out - and maybe marked sent - is left alone. A send
whose outcome is unknown (`MaybeSentError`) is recorded as `maybe_sent` on the row, and every later
attempt, in this process or another after a crash, asks the sender to check the platform first.

Each member's claimed messages are sent by a task of their own that outlives the pass: a pass
waits a moment for them, then lets the next one claim what else is due, so one slow call never
holds back other members' deliveries (nor the scheduler tick that runs a pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from aiolimiter import AsyncLimiter
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.model import DeliveryKind
from bot.identity import Member
from bot.service.ports import (
    MaybeSentError,
    OutgoingMessage,
    PermanentSendError,
    Sender,
    TransientSendError,
    settle,
)
from bot.store.database import Database
from bot.store.tables import members, outbox

log = logging.getLogger(__name__)

UNSENT = ("pending", "sending")


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff: 0.5-1 s, 1-2 s, 2-4 s, … up to `cap_seconds`.

    The first retries are quick, so a member whose message hit a blip sees it within seconds
    (four failures in a row wait at most 15 s); the cap and the attempts cover an outage of
    about half an hour before a delivery is given up.
    """

    max_attempts: int = 12
    base_seconds: float = 1.0
    cap_seconds: float = 600.0
    lease: timedelta = timedelta(minutes=2)

    def delay(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** (attempts - 1))
        return backoff * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Claim:
    """Rows one pass holds: theirs while status is "sending" with this `lease_until`."""

    rows: list[Row]
    lease_until: datetime

    def holds(self) -> sa.ColumnElement[bool]:
        return sa.and_(outbox.c.status == "sending", outbox.c.lease_until == self.lease_until)


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        rates_per_second: Mapping[str, float] | None = None,
        policy: RetryPolicy | None = None,
        *,
        max_in_flight: int = 256,
        pass_seconds: float = 2.0,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self._limiters = {
            platform: AsyncLimiter(rate, 1) for platform, rate in (rates_per_second or {}).items()
        }
        self._wake = asyncio.Event()
        self._stopping = False
        self._marks: list[tuple[int, str, asyncio.Future[None]]] = []
        self._marking: asyncio.Task[None] | None = None
        # members whose messages are being sent: at most `max_in_flight` before a pass waits
        self.max_in_flight = max_in_flight
        self.pass_seconds = pass_seconds
        self._flights: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        self._wake.set()

    # --- one pass ---------------------------------------------------------------------------

    async def run_once(self, batch: int = 200) -> int:
        """Claim the due deliveries and start sending them; returns how many were claimed.

        Waits until they are sent, but no longer than `pass_seconds`: a member whose send is
        slow goes on in the background while the next pass serves everyone else.
        """
        await self._room_in_flight()
        claim = await self._claim(batch)
        by_member: dict[str, list[Row]] = {}
        for row in claim.rows:
            by_member.setdefault(row.member_key, []).append(row)
        started = [self._fly(group, claim) for group in by_member.values()]
        if started:
            await asyncio.wait(started, timeout=self.pass_seconds)
        return len(claim.rows)

    async def drain(self) -> None:
        """Wait for every member's sends in flight (tests, shutdown)."""
        while self._flights:
            await asyncio.wait(set(self._flights))

    async def _room_in_flight(self) -> None:
        while len(self._flights) >= self.max_in_flight:
            await asyncio.wait(set(self._flights), return_when=asyncio.FIRST_COMPLETED)

    def _fly(self, rows: list[Row], claim: Claim) -> asyncio.Task[None]:
        task = asyncio.create_task(self._send_in_order(rows, claim))
        self._flights.add(task)
        task.add_done_callback(self._landed)
        return task

    def _landed(self, task: asyncio.Task[None]) -> None:
        self._flights.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox sends failed", exc_info=task.exception())
        self.wake()  # that member's next messages may be due now

    async def _any_due(self, query: sa.Select[Any]) -> bool:
        """A look before taking SQLite's one writer: a pass finds nothing due far more often
        than not (every landed send wakes one), and a read doesn't queue beside the commits."""
        async with self.db.read() as conn:
            return (await conn.execute(query.limit(1))).first() is not None

    async def _claim(self, batch: int) -> Claim:
        now = self.clock.now()
        earlier = outbox.alias("earlier")
        # an earlier message to the same member that is backing off or in flight holds later
        # ones back; one that merely waits for the member's daytime does not
        blocked = (
            sa.select(earlier.c.id)
            .where(
                earlier.c.member_key == outbox.c.member_key,
                earlier.c.id < outbox.c.id,
                earlier.c.status.in_(UNSENT),  # lets the planner use the partial index
                sa.or_(
                    sa.and_(
                        earlier.c.status == "pending",
                        earlier.c.next_attempt_at > now,
                        sa.or_(earlier.c.not_before.is_(None), earlier.c.not_before <= now),
                    ),
                    sa.and_(earlier.c.status == "sending", earlier.c.lease_until >= now),
                ),
            )
            .exists()
        )
        query = (
            sa.select(outbox, members.c.dm_channel_id)
            .select_from(outbox.outerjoin(members, members.c.member_key == outbox.c.member_key))
            .where(
                outbox.c.platform.in_(list(self.senders)),
                outbox.c.status.in_(UNSENT),
                sa.or_(
                    sa.and_(outbox.c.status == "pending", outbox.c.next_attempt_at <= now),
                    sa.and_(outbox.c.status == "sending", outbox.c.lease_until < now),
                ),
                ~blocked,
            )
            .order_by(outbox.c.id)
            .limit(batch)
        )
        if not self.db.is_sqlite:  # several processes: each takes rows the others don't hold
            query = query.with_for_update(skip_locked=True, of=outbox)
        lease_until = now + self.policy.lease
        if self.db.is_sqlite and not await self._any_due(query):
            return Claim([], lease_until)
        async with self.db.transaction() as conn:
            candidates = await _in_member_order(conn, list(await conn.execute(query)), now)
            if not candidates:
                return Claim([], lease_until)
            # the rows are ours until commit (FOR UPDATE on PostgreSQL, the single writer on
            # SQLite), so one statement claims them all; the conditions are a safety net
            ids = [row.id for row in candidates]
            result = await conn.execute(
                outbox.update()
                .where(
                    outbox.c.id.in_(ids),
                    sa.or_(
                        outbox.c.status == "pending",
                        sa.and_(outbox.c.status == "sending", outbox.c.lease_until < now),
                    ),
                )
                .values(status="sending", lease_until=lease_until)
            )
            claimed = candidates
            if result.rowcount != len(ids):
                ours = set(
                    await conn.scalars(
                        sa.select(outbox.c.id).where(
                            outbox.c.id.in_(ids), outbox.c.lease_until == lease_until
                        )
                    )
                )
                claimed = [row for row in candidates if row.id in ours]
        return Claim(claimed, lease_until)

    async def _send_in_order(self, rows: list[Row], claim: Claim) -> None:
        for index, row in enumerate(rows):
            if not await self._send_one(row, claim):
                # keep this member's later messages behind the one that must retry
                await self._release([r.id for r in rows[index + 1 :]], claim)
                return

    async def _release(self, outbox_ids: list[int], claim: Claim) -> None:
        if not outbox_ids:
            return
        async with self.db.transaction() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(outbox_ids), claim.holds())
                .values(status="pending", lease_until=None)
            )

    async def _send_one(self, row: Row, claim: Claim) -> bool:
        message = OutgoingMessage(
            outbox_id=row.id,
            member=Member.from_key(row.member_key),
            kind=DeliveryKind(row.kind),
            data=json.loads(row.payload),
            round_id=row.round_id,
            dm_channel_id=row.dm_channel_id,
            # an earlier attempt's outcome is unknown, or the row was reclaimed after its lease
            # ran out (that process may have died mid-send)
            maybe_sent=row.maybe_sent or row.status == "sending",
        )
        limiter = self._limiters.get(row.platform)
        try:
            if limiter is not None:
                await limiter.acquire()
            message_id = await self.senders[row.platform].send(message)
        except TransientSendError as err:
            await self._retry_later(row, claim, err)
            return False
        except PermanentSendError as err:
            await self._finish(row.id, claim, status="failed", error=err.reason)
            log.warning("delivery %s (%s) failed permanently: %s", row.id, row.kind, err.reason)
            return True
        except Exception as err:  # an adapter bug must not stall the queue forever
            log.exception("delivery %s (%s) crashed the sender", row.id, row.kind)
            # the crash may have come after the request left: check before posting again
            await self._retry_later(row, claim, MaybeSentError(type(err).__name__))
            return False
        await self._mark_sent(row.id, message_id)
        return True

    async def _retry_later(self, row: Row, claim: Claim, err: TransientSendError) -> None:
        attempts = row.attempts + 1
        maybe_sent = row.maybe_sent or isinstance(err, MaybeSentError)
        if attempts >= self.policy.max_attempts:
            error = f"gave up after {attempts}: {err.reason}"
            await self._finish(row.id, claim, status="failed", error=error, maybe_sent=maybe_sent)
            return
        delay = self.policy.delay(attempts, err.retry_after)
        async with self.db.transaction() as conn:
            result = await conn.execute(
                outbox.update()
                .where(outbox.c.id == row.id, claim.holds())
                .values(
                    status="pending",
                    attempts=attempts,
                    error=err.reason,
                    lease_until=None,
                    maybe_sent=maybe_sent,
                    next_attempt_at=self.clock.now() + timedelta(seconds=delay),
                )
            )
        if not result.rowcount:
            log.info("delivery %s was taken over by another pass; left to it", row.id)
            return
        log.info(
            "delivery %s retry %d in %.1fs: %s%s",
            row.id,
            attempts,
            delay,
            err.reason,
            " (maybe sent: checked first)" if maybe_sent else "",
        )

    async def _mark_sent(self, outbox_id: int, message_id: str) -> None:
        """Record a sent row; returns once that is committed.

        Rows sent while an earlier batch of marks commits share the next transaction (one
        executemany), so a fan-out costs a transaction per batch, not per message.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marks.append((outbox_id, message_id, done))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._write_marks())
        await done

    async def _write_marks(self) -> None:
        while self._marks:
            batch, self._marks = self._marks, []
            try:
                async with self.db.transaction() as conn:
                    await conn.execute(
                        outbox.update()
                        .where(outbox.c.id == sa.bindparam("sent_id"))
                        .values(
                            status="sent",
                            message_id=sa.bindparam("sent_message_id"),
                            sent_at=self.clock.now(),
                            lease_until=None,
                        ),
                        [{"sent_id": i, "sent_message_id": m} for i, m, _ in batch],
                    )
            except Exception as err:
                settle((done for *_, done in batch), err)
                continue
            settle(done for *_, done in batch)

    async def _finish(self, outbox_id: int, claim: Claim, **values: object) -> None:
        now: datetime = self.clock.now()
        async with self.db.transaction() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id == outbox_id, claim.holds())
                .values(sent_at=now, lease_until=None, **values)
            )

    # --- the loop ---------------------------------------------------------------------------

    async def run_forever(self, idle_seconds: float = 1.0) -> None:
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    sent = await self.run_once()
                except Exception:
                    log.exception("outbox pass failed")
                    sent = 0
                if sent or self._stopping:  # stop() may have set the wake-up during the pass
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=idle_seconds)
            await self.drain()  # let the sends in flight finish and record their outcome
        except asyncio.CancelledError:
            for task in self._flights:
                task.cancel()
            raise

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()


async def _in_member_order(
    conn: AsyncConnection, candidates: list[Row], now: datetime
) -> list[Row]:
    """Drop candidates queued behind an unsent row of the same member that this pass lacks.

    Another process may be claiming that earlier row right now (SKIP LOCKED hid it from us);
    sending the later one first would reorder the member's messages.
    """
    if not candidates:
        return candidates
    taken = [row.id for row in candidates]
    earliest_missing = await conn.execute(
        sa.select(outbox.c.member_key, sa.func.min(outbox.c.id))
        .where(
            outbox.c.member_key.in_({row.member_key for row in candidates}),
            outbox.c.id < max(taken),
            outbox.c.id.not_in(taken),
            outbox.c.status.in_(("pending", "sending")),
            sa.or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now),
        )
        .group_by(outbox.c.member_key)
    )
    limit = {member_key: first_id for member_key, first_id in earliest_missing}
    return [row for row in candidates if row.id < limit.get(row.member_key, row.id + 1)]
