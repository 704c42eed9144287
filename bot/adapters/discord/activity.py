"""Counts Rapport's interaction and DM handlers: shutdown waits for those in flight, and tests
wait for a number of finished ones instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class Activity:
    def __init__(self) -> None:
        self.running = 0
        self.finished = 0
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        async with self._changed:
            self.running += 1
        try:
            yield
        finally:
            async with self._changed:
                self.running -= 1
                self.finished += 1
                self._changed.notify_all()

    async def wait_finished(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.finished >= count)

    async def wait_idle(self, timeout: float) -> bool:
        """True once no handler runs; False if some still did after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: self.running == 0)
        except TimeoutError:
            return False
        return True
