"""The shared cache behind workspace settings: one read per key however many callers ask, a
stale value answers at once while it is read again, and a change is never undone by a read that
was already under way."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.service.shared_cache import SharedCache

TTL = timedelta(seconds=30)


class Store:
    """Stands in for the database: each read waits until the test lets it finish."""

    def __init__(self) -> None:
        self.value = "v1"
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def load(self, key: str) -> str:
        self.reads += 1
        await self.gate.wait()
        return f"{key}:{self.value}"


def _clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 1, 9, tzinfo=UTC))


async def test_callers_who_ask_together_share_one_read() -> None:
    store = Store()
    store.gate.clear()
    cache: SharedCache[str, str] = SharedCache(_clock(), TTL, store.load)
    waiting = [asyncio.create_task(cache.get("T1")) for _ in range(50)]
    await asyncio.sleep(0)  # let every caller ask before the read finishes
    store.gate.set()
    assert set(await asyncio.gather(*waiting)) == {"T1:v1"}
    assert store.reads == 1
    assert await cache.get("T1") == "T1:v1" and store.reads == 1


async def test_a_stale_value_answers_at_once_while_one_read_refreshes_it() -> None:
    store, clock = Store(), _clock()
    cache: SharedCache[str, str] = SharedCache(clock, TTL, store.load)
    await cache.get("T1")
    store.value, store.gate = "v2", asyncio.Event()
    clock.advance(TTL + timedelta(seconds=1))
    assert [await cache.get("T1") for _ in range(10)] == ["T1:v1"] * 10  # no one waited
    await asyncio.sleep(0)  # the refresh starts
    assert store.reads == 2  # one refresh, not ten
    store.gate.set()
    async with asyncio.timeout(5):
        while await cache.get("T1") != "T1:v2":
            await asyncio.sleep(0)


async def test_a_change_is_never_undone_by_a_read_already_under_way() -> None:
    store = Store()
    store.gate.clear()
    cache: SharedCache[str, str] = SharedCache(_clock(), TTL, store.load)
    early = asyncio.create_task(cache.get("T1"))  # reads before the change is stored
    await asyncio.sleep(0)
    store.value = "changed"
    cache.forget("T1")
    store.gate.set()
    await early
    assert await cache.get("T1") == "T1:changed"


async def test_a_failed_refresh_keeps_the_old_value_and_is_tried_again() -> None:
    clock = _clock()
    failing = False

    async def load(key: str) -> str:
        if failing:
            raise ConnectionError("database away")
        return "ok"

    cache: SharedCache[str, str] = SharedCache(clock, TTL, load)
    assert await cache.get("T1") == "ok"
    failing = True
    clock.advance(TTL * 2)
    assert await cache.get("T1") == "ok"
    await asyncio.sleep(0)
    assert await cache.get("T1") == "ok"  # still answering while the database is away
