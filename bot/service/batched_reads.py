"""Reads of many keys that arrive together, made as one: whoever asks while a read runs joins
the next one, a single statement for up to `batch` keys.

A burst of messages from a thousand members (or about a thousand rounds) then costs a handful of
queries instead of a connection checkout and a round trip each before their acks. `kept` sees
every key's result as it arrives - also for a read no one waits on (a stale cache's refresh) -
and may change what the waiting callers get.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

ReadMany = Callable[[list[K]], Awaitable[dict[K, V]]]


class BatchedReads(Generic[K, V]):
    def __init__(
        self,
        read_many: ReadMany[K, V],
        kept: Callable[[K, V | None], V | None],
        batch: int = 500,
    ) -> None:
        self._read_many = read_many
        self._kept = kept
        self.batch = batch
        self._waiting: dict[K, asyncio.Future[V | None]] = {}
        self._reader: asyncio.Task[None] | None = None

    def reading(self, key: K) -> bool:
        return key in self._waiting

    async def get(self, key: K) -> V | None:
        """The key's value (None: not stored), read with every key asked for meanwhile."""
        return await asyncio.shield(self.start(key))

    def start(self, key: K) -> asyncio.Future[V | None]:
        """Queue the key for the next read (or join the one queued already)."""
        waiting = self._waiting.get(key)
        if waiting is None:
            waiting = asyncio.get_running_loop().create_future()
            self._waiting[key] = waiting
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read_waiting())
        return waiting

    async def _read_waiting(self) -> None:
        while self._waiting:
            keys = list(itertools.islice(self._waiting, self.batch))
            try:
                found = await self._read_many(keys)
            except Exception as err:  # every caller waiting hears of it
                what = getattr(self._read_many, "__qualname__", type(self._read_many).__name__)
                log.warning("%s failed for %d keys: %s", what, len(keys), type(err).__name__)
                for key in keys:
                    failed = self._waiting.pop(key)
                    failed.set_exception(err)
                    failed.exception()  # a refresh may have no one waiting for it
                continue
            for key in keys:
                self._waiting.pop(key).set_result(self._kept(key, found.get(key)))
