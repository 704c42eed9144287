"""Leader election: exactly one process runs the scheduler's work; another takes over quickly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import Rapport, build
from bot.clock import FakeClock
from bot.config import Settings
from bot.engine.model import RoundStatus
from bot.service.leader import AdvisoryLockLeader, AlwaysLeader, leadership_for
from bot.store.database import Database
from tests.fakes.recording import RecordingSender
from tests.integration.conftest import POSTGRES_URL, _reset_postgres
from tests.integration.test_service import ALICE, BOB

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="RAPPORT_TEST_POSTGRES_URL not set")
FAST = 0.05  # seconds between tries in these tests
TAKEOVER_TIMEOUT = 10.0


class Watcher:
    """Records leadership changes so tests wait on them instead of sleeping."""

    def __init__(self) -> None:
        self.changed = asyncio.Condition()
        self.leaders: dict[str, AdvisoryLockLeader] = {}

    def make(self, name: str, lock: str) -> AdvisoryLockLeader:
        assert POSTGRES_URL is not None
        leader = AdvisoryLockLeader(
            POSTGRES_URL, name=lock, retry_seconds=FAST, on_change=lambda _: self._notify()
        )
        self.leaders[name] = leader
        return leader

    def _notify(self) -> None:
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def current(self) -> list[str]:
        return [name for name, leader in self.leaders.items() if leader.is_leader]

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), TAKEOVER_TIMEOUT)


@pytest.fixture
async def watcher() -> AsyncIterator[Watcher]:
    watching = Watcher()
    yield watching
    for leader in watching.leaders.values():
        await leader.stop()


def _lock_name() -> str:
    return f"rapport-test:{uuid.uuid4().hex}"


async def _two_started(watcher: Watcher) -> tuple[AdvisoryLockLeader, AdvisoryLockLeader]:
    """ "first", then "second", started on one fresh lock: "first" leads."""
    lock = _lock_name()
    first, second = watcher.make("first", lock), watcher.make("second", lock)
    await first.start()
    await second.start()
    return first, second


async def test_sqlite_is_always_leader(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    leader = leadership_for(db)
    assert isinstance(leader, AlwaysLeader)
    assert leader.is_leader and await leader.confirm()
    await db.dispose()


@needs_postgres
async def test_two_leaders_on_one_database_exactly_one_leads(watcher: Watcher) -> None:
    first, second = await _two_started(watcher)
    assert watcher.current() == ["first"]
    assert not await second.confirm()
    assert await first.confirm()
    assert watcher.current() == ["first"]


@needs_postgres
async def test_when_the_leaders_connection_dies_the_other_takes_over(watcher: Watcher) -> None:
    first, _ = await _two_started(watcher)
    assert watcher.current() == ["first"] and first.backend_pid
    assert POSTGRES_URL is not None
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:  # what the server does when the leader's process dies
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first.backend_pid})
    await admin.dispose()
    await watcher.wait_for(lambda: watcher.current() == ["second"])
    assert not await first.confirm()  # the old leader knows it lost the lock
    assert watcher.current() == ["second"]


@needs_postgres
async def test_a_stopping_leader_hands_over(watcher: Watcher) -> None:
    first, _ = await _two_started(watcher)
    await first.stop()
    await watcher.wait_for(lambda: watcher.current() == ["second"])


# --- Rapport.tick() only works on the leader ----------------------------------------------------


@pytest.fixture
async def postgres_settings() -> Settings:
    if not POSTGRES_URL:
        pytest.skip("RAPPORT_TEST_POSTGRES_URL not set")
    await _reset_postgres(POSTGRES_URL)
    return Settings(RAPPORT_DATABASE_URL=POSTGRES_URL, RAPPORT_DEFAULT_BANK="tiny")


def _app(settings: Settings, clock: FakeClock, banks: dict, lock: str) -> Rapport:
    app = build(settings, senders={"test": RecordingSender()}, clock=clock, banks=banks)
    assert POSTGRES_URL is not None
    app.leader = AdvisoryLockLeader(POSTGRES_URL, name=lock, retry_seconds=FAST)
    return app


@needs_postgres
async def test_only_the_leaders_tick_runs_due_rounds(
    postgres_settings: Settings, clock: FakeClock, tiny_banks: dict
) -> None:
    lock = _lock_name()
    leader = _app(postgres_settings, clock, tiny_banks, lock)
    follower = _app(postgres_settings, clock, tiny_banks, lock)
    try:
        await leader.db.upgrade()
        await leader.tick()
        assert leader.leader.is_leader
        started = await follower.service.start_round([ALICE, BOB], initiator=ALICE)
        assert started.round_id
        clock.advance(timedelta(days=8))  # past expiry

        await follower.tick()
        state = await follower.service.load(started.round_id)
        assert state is not None and state.status is RoundStatus.INVITED
        assert follower.health.last_tick_at == clock.now()  # standing by is a healthy tick

        await leader.leader.stop()
        await follower.tick()
        state = await follower.service.load(started.round_id)
        assert state is not None and state.status is RoundStatus.EXPIRED
    finally:
        await follower.leader.stop()
        await leader.db.dispose()
        await follower.db.dispose()
