"""APScheduler only triggers: an interval tick runs due follow-ups whose deadlines are in the DB."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

TICK_JOB_ID = "rapport-tick"


class TickScheduler:
    def __init__(self, tick: Callable[[], Awaitable[object]], interval_seconds: float) -> None:
        self._tick = tick
        self._interval = interval_seconds
        self.scheduler = AsyncIOScheduler(timezone="UTC")

    async def _run_tick(self) -> None:
        try:
            await self._tick()
        except Exception:
            log.exception("scheduler tick failed")

    def start(self) -> None:
        self.scheduler.add_job(
            self._run_tick,
            IntervalTrigger(seconds=self._interval),
            id=TICK_JOB_ID,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
