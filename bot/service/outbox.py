"""The outbox dispatcher: sends queued deliveries through each platform's sender.

Rows are claimed with a lease so two dispatchers never send the same row; a row marked sent is
never sent again. Messages to one member go out in the order they were queued; transient failures
back off exponentially with jitter (or as long as the platform asked); permanent ones are recorded
with their reason.
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

import sqlalchemy as sa
from aiolimiter import AsyncLimiter
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.model import DeliveryKind
from bot.identity import Member
from bot.service.ports import (
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
    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 600.0
    lease: timedelta = timedelta(minutes=2)

    def delay(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** (attempts - 1))
        return backoff * random.uniform(0.5, 1.0)


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        rates_per_second: Mapping[str, float] | None = None,
        policy: RetryPolicy | None = None,
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

    def wake(self) -> None:
        self._wake.set()

    # --- one pass ---------------------------------------------------------------------------

    async def run_once(self, batch: int = 200) -> int:
        """Send every due delivery; returns how many were attempted."""
        rows = await self._claim(batch)
        by_member: dict[str, list[Row]] = {}
        for row in rows:
            by_member.setdefault(row.member_key, []).append(row)
        await asyncio.gather(*(self._send_in_order(group) for group in by_member.values()))
        return len(rows)

    async def _claim(self, batch: int) -> list[Row]:
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
        async with self.db.transaction() as conn:
            candidates = await _in_member_order(conn, list(await conn.execute(query)), now)
            if not candidates:
                return []
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
        return claimed

    async def _send_in_order(self, rows: list[Row]) -> None:
        for index, row in enumerate(rows):
            if not await self._send_one(row):
                # keep this member's later messages behind the one that must retry
                await self._release([r.id for r in rows[index + 1 :]])
                return

    async def _release(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        async with self.db.transaction() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(outbox_ids))
                .values(status="pending", lease_until=None)
            )

    async def _send_one(self, row: Row) -> bool:
        message = OutgoingMessage(
            outbox_id=row.id,
            member=Member.from_key(row.member_key),
            kind=DeliveryKind(row.kind),
            data=json.loads(row.payload),
            round_id=row.round_id,
            dm_channel_id=row.dm_channel_id,
            maybe_sent=row.status == "sending",  # reclaimed after an expired lease
        )
        limiter = self._limiters.get(row.platform)
        try:
            if limiter is not None:
                await limiter.acquire()
            message_id = await self.senders[row.platform].send(message)
        except TransientSendError as err:
            await self._retry_later(row, err.reason, err.retry_after)
            return False
        except PermanentSendError as err:
            await self._finish(row.id, status="failed", error=err.reason)
            log.warning("delivery %s (%s) failed permanently: %s", row.id, row.kind, err.reason)
            return True
        except Exception as err:  # an adapter bug must not stall the queue forever
            log.exception("delivery %s (%s) crashed the sender", row.id, row.kind)
            await self._retry_later(row, f"{type(err).__name__}", None)
            return False
        await self._mark_sent(row.id, message_id)
        return True

    async def _retry_later(self, row: Row, reason: str, retry_after: float | None) -> None:
        attempts = row.attempts + 1
        if attempts >= self.policy.max_attempts:
            await self._finish(row.id, status="failed", error=f"gave up after {attempts}: {reason}")
            return
        delay = self.policy.delay(attempts, retry_after)
        async with self.db.transaction() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id == row.id)
                .values(
                    status="pending",
                    attempts=attempts,
                    error=reason,
                    lease_until=None,
                    next_attempt_at=self.clock.now() + timedelta(seconds=delay),
                )
            )
        log.info("delivery %s retry %d in %.1fs: %s", row.id, attempts, delay, reason)

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

    async def _finish(self, outbox_id: int, **values: object) -> None:
        now: datetime = self.clock.now()
        async with self.db.transaction() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id == outbox_id)
                .values(sent_at=now, lease_until=None, **values)
            )

    # --- the loop ---------------------------------------------------------------------------

    async def run_forever(self, idle_seconds: float = 1.0) -> None:
        while not self._stopping:
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox pass failed")
                sent = 0
            if sent or self._stopping:  # stop() may have set the wake-up during the pass
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=idle_seconds)

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
