"""A per-key value read from the database and shared by every caller in the process.

Used for what nearly every message needs and rarely changes (a workspace's settings): a fresh
value answers at once; a stale one still answers at once while a single read refreshes it; a
missing one is read once, however many callers ask while that read runs. So no message waits
for the database after a key's first read in a process, and an expiry never sends a burst of
identical queries at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.clock import Clock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedCache(Generic[K, V]):
    def __init__(self, clock: Clock, ttl: timedelta, load: Callable[[K], Awaitable[V]]) -> None:
        self.clock = clock
        self.ttl = ttl
        self._load = load
        self._values: dict[K, tuple[datetime, V]] = {}
        self._reading: dict[K, asyncio.Task[V]] = {}
        self._generation: dict[K, int] = {}

    def peek(self, key: K) -> V | None:
        """The value last read, fresh or not, without a query (None: never read)."""
        entry = self._values.get(key)
        return entry[1] if entry else None

    async def get(self, key: K) -> V:
        entry = self._values.get(key)
        if entry is not None:
            if entry[0] <= self.clock.now():
                self._refresh(key)  # stale: answer with it now, read it again meanwhile
            return entry[1]
        return await asyncio.shield(self._refresh(key))

    async def fresh(self, key: K) -> V:
        """Read it now (before a change is decided on what is stored), and keep what was read."""
        self.forget(key)
        return await self.get(key)

    def forget(self, key: K) -> None:
        """It changed: the next caller reads it again, and a read already under way is not kept."""
        self._values.pop(key, None)
        self._generation[key] = self._generation.get(key, 0) + 1
        self._reading.pop(key, None)

    def _refresh(self, key: K) -> asyncio.Task[V]:
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.create_task(self._read(key, self._generation.get(key, 0)))
            reading.add_done_callback(_retrieved)
            self._reading[key] = reading
        return reading

    async def _read(self, key: K, generation: int) -> V:
        try:
            value = await self._load(key)
        finally:
            if self._generation.get(key, 0) == generation:
                self._reading.pop(key, None)
        if self._generation.get(key, 0) == generation:
            self._values[key] = (self.clock.now() + self.ttl, value)
        return value


def _retrieved(task: asyncio.Task[V]) -> None:
    """A stale entry's refresh may fail with no one waiting: the old value goes on answering."""
    if not task.cancelled():
        task.exception()
