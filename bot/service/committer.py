"""Group commit: commands that arrive together share one database transaction.

SQLite has one writer, so a transaction per command caps throughput at the cost of BEGIN/COMMIT.
Instead, commands queue up while the previous batch commits, and the next batch applies them one
after another on one connection, then writes all their outbox rows at once. Each command is still
all-or-nothing: the engine decides before anything is written, a rejected command writes nothing,
and if the batch fails every command in it is retried on its own.

Round states are cached between batches. The cache is only a shortcut: every update checks the
row's version, so a state changed by another process makes the batch fail and retry from the DB.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.model import Decision, DeliveryKind, MemberKey, Rejected, RoundState
from bot.i18n import N_
from bot.store import repository as repo
from bot.store.database import Database

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_CONFLICT_RETRIES = 8


class Duplicate:
    """The event id was seen before: the command already took effect."""


DUPLICATE = Duplicate()
JobResult = Decision | Rejected | Duplicate


@dataclass
class Batch:
    """The open transaction shared by the commands of one group commit.

    Round updates are staged and written together by `flush`: a round two commands of the batch
    changed is written once, checked against the version it had before the batch.
    """

    conn: AsyncConnection
    now: datetime
    cache: RoundCache
    staged: dict[str, tuple[RoundState, int]] = field(default_factory=dict)
    decisions: list[tuple[Decision, RoundState | None]] = field(default_factory=list)
    prefetched: dict[str, tuple[RoundState, int]] = field(default_factory=dict)
    open_round_ids: dict[MemberKey, list[str]] = field(default_factory=dict)
    _stored_versions: dict[str, int] = field(default_factory=dict)

    async def prefetch(
        self, member_keys: Collection[MemberKey] = (), round_ids: Collection[str] = ()
    ) -> None:
        """Read these rounds, and the open rounds of these members, for the whole batch at once
        (a statement for the members, one for every round not cached)."""
        wanted = [k for k in member_keys if k not in self.open_round_ids]
        if wanted:
            found = await repo.open_round_ids_of(self.conn, wanted)
            for key in wanted:
                self.open_round_ids[key] = found.get(key, [])
        unknown = {
            round_id
            for round_id in [*round_ids, *(r for k in wanted for r in self.open_round_ids[k])]
            if self._known(round_id) is None
        }
        if unknown:
            self.prefetched.update(await repo.load_rounds(self.conn, sorted(unknown)))

    async def open_rounds_of(self, member_keys: Collection[MemberKey]) -> list[RoundState]:
        await self.prefetch(member_keys)
        round_ids = sorted({r for key in member_keys for r in self.open_round_ids[key]})
        found = [await self.load_round(round_id) for round_id in round_ids]
        return [state for state, _ in filter(None, found)]

    def _known(self, round_id: str) -> tuple[RoundState, int] | None:
        return (
            self.staged.get(round_id) or self.prefetched.get(round_id) or self.cache.get(round_id)
        )

    async def load_round(self, round_id: str) -> tuple[RoundState, int] | None:
        return self._known(round_id) or await repo.load_round(self.conn, round_id)

    async def insert_rounds(self, items: list[tuple[RoundState, str, str | None]]) -> None:
        await repo.insert_rounds(self.conn, items)
        for state, _, _ in items:
            self.staged[state.id] = (state, 1)

    async def update_round(self, state: RoundState, version: int) -> None:
        self._stored_versions.setdefault(state.id, version)
        self.staged[state.id] = (state, version + 1)

    def record(self, decision: Decision, previous: RoundState | None) -> None:
        self.decisions.append((decision, previous))

    async def flush(self) -> int:
        """Write the staged rounds, every recorded decision's messages and history; returns
        deliveries queued. Raises ConcurrentUpdate if another process changed a round first."""
        await repo.update_rounds(
            self.conn,
            [
                (self.staged[round_id][0], stored, self.staged[round_id][1])
                for round_id, stored in self._stored_versions.items()
            ],
            self.now,
        )
        outgoing = [(d.state.id, delivery) for d, _ in self.decisions for delivery in d.deliveries]
        queued = await repo.enqueue(self.conn, outgoing, self.now)
        pair_rows = [(d.state.members, _newly_asked(d)) for d, _ in self.decisions]
        await repo.remember_prompts(self.conn, [(m, asked) for m, asked in pair_rows if asked])
        for decision, previous in self.decisions:
            if _may_have_queued_reminders(previous):
                await _cancel_stale_reminders(self.conn, decision.state)
        return queued


def _newly_asked(decision: Decision) -> list[str]:
    first = decision.state.members[0]
    return [
        str(d.data["prompt_id"])
        for d in decision.deliveries
        if d.kind is DeliveryKind.PROMPT and d.to == first
    ]


def _may_have_queued_reminders(previous: RoundState | None) -> bool:
    # reminders are only ever queued for the current step, and every transition cancels them
    return (
        previous is not None
        and previous.current is not None
        and (previous.current.reminders_sent > 0)
    )


async def _cancel_stale_reminders(conn: AsyncConnection, state: RoundState) -> None:
    current = state.current
    await repo.cancel_reminders(
        conn,
        state.id,
        keep_for=[m for m in state.members if current and m not in current.answers],
        step=current.number if current else None,
    )


class RoundCache:
    """A bounded LRU of (state, version) by round id; safe because updates check the version."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[RoundState, int]] = OrderedDict()

    def get(self, round_id: str) -> tuple[RoundState, int] | None:
        item = self._items.get(round_id)
        if item is not None:
            self._items.move_to_end(round_id)
        return item

    def update(self, items: dict[str, tuple[RoundState, int]]) -> None:
        for round_id, item in items.items():
            self._items[round_id] = item
            self._items.move_to_end(round_id)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


Work = Callable[[Batch], Awaitable[Decision]]


@dataclass
class _Job:
    event_key: str | None
    work: Work
    future: asyncio.Future[JobResult]
    members: tuple[MemberKey, ...] = ()
    rounds: tuple[str, ...] = ()


class GroupCommitter:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        on_enqueued: Callable[[], None],
        max_batch: int = 128,
        cache_size: int = 10_000,
    ) -> None:
        self.db = db
        self.clock = clock
        self._on_enqueued = on_enqueued
        self.max_batch = max_batch
        self.cache = RoundCache(cache_size)
        self._queue: deque[_Job] = deque()
        self._drainer: asyncio.Task[None] | None = None

    async def submit(
        self,
        event_key: str | None,
        work: Work,
        *,
        rounds: Collection[str] = (),
        members: Collection[MemberKey] = (),
    ) -> JobResult:
        """Run `work` in the next batch. `rounds` and `members` name the rounds, and the members
        whose open rounds, it will read: the batch reads them all at once (`Batch.prefetch`)."""
        future: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(event_key, work, future, tuple(members), tuple(rounds)))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def drain(self) -> None:
        """Wait until every submitted command is committed (used at shutdown)."""
        if self._drainer is not None:
            await asyncio.shield(self._drainer)

    async def _drain(self) -> None:
        while self._queue:
            size = min(self.max_batch, len(self._queue))
            jobs = [self._queue.popleft() for _ in range(size)]
            try:
                await self._commit_or_split(jobs)
            except Exception as err:  # never leave a caller waiting forever
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(err)

    async def _commit_or_split(self, jobs: list[_Job]) -> None:
        try:
            await self._commit(jobs)
            return
        except Exception as err:
            self.cache.clear()
            if len(jobs) == 1 and not isinstance(err, repo.ConcurrentUpdate):
                raise
            log.info("batch of %d failed (%s); retrying one by one", len(jobs), type(err).__name__)
        for job in jobs:
            await self._commit_alone(job)

    async def _commit_alone(self, job: _Job) -> None:
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                await self._commit([job])
                return
            except repo.ConcurrentUpdate:
                self.cache.clear()
        job.future.set_result(Rejected("busy", N_("That was busy for a moment. Please try again.")))

    async def run_alone(self, work: Callable[[Batch], Awaitable[T]]) -> T:
        """Run bulk work (many decisions) in a batch of its own, with the same bookkeeping."""
        now = self.clock.now()
        try:
            async with self.db.transaction() as conn:
                batch = Batch(conn, now, self.cache)
                result = await work(batch)
                queued = await batch.flush()
        except Exception:
            self.cache.clear()
            raise
        self.cache.update(batch.staged)
        if queued:
            self._on_enqueued()
        return result

    async def _commit(self, jobs: list[_Job]) -> None:
        now = self.clock.now()
        async with self.db.transaction(urgent=True) as conn:  # its members wait for their acks
            batch = Batch(conn, now, self.cache)
            results = await self._apply_all(batch, jobs)
            queued = await batch.flush()
        self.cache.update(batch.staged)
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)
        if queued:
            self._on_enqueued()

    async def _apply_all(self, batch: Batch, jobs: list[_Job]) -> list[JobResult]:
        keys = [job.event_key for job in jobs if job.event_key]
        fresh = await repo.claim_events(batch.conn, keys, batch.now) if keys else set()
        await batch.prefetch(
            {key for job in jobs for key in job.members},
            {round_id for job in jobs for round_id in job.rounds},
        )
        results: list[JobResult] = []
        unclaim: list[str] = []
        for job in jobs:
            if job.event_key is not None:
                if job.event_key not in fresh:
                    results.append(DUPLICATE)
                    continue
                fresh.discard(job.event_key)  # a second copy in the same batch is a duplicate
            try:
                results.append(await job.work(batch))
            except Rejected as rejected:
                results.append(rejected)
                if job.event_key is not None:
                    unclaim.append(job.event_key)  # a refused command must not block a retry
        if unclaim:
            await repo.unclaim_events(batch.conn, unclaim)
        return results
