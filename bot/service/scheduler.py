"""APScheduler only triggers: an interval tick runs due follow-ups whose deadlines are in the DB."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.engine.recurrence import WEEKDAYS, Recurrence

log = logging.getLogger(__name__)

TICK_JOB_ID = "rapport-tick"
SESSION_JOB_PREFIX = "session-"


def cron_trigger(recurrence: Recurrence) -> CronTrigger:
    """Fires weekly at the local time; every-N-weeks filtering is the session runner's job."""
    return CronTrigger(
        day_of_week=WEEKDAYS[recurrence.weekday],
        hour=recurrence.at.hour,
        minute=recurrence.at.minute,
        timezone=recurrence.timezone,
    )


class TickScheduler:
    def __init__(self, tick: Callable[[], Awaitable[object]], interval_seconds: float) -> None:
        self._tick = tick
        self._interval = interval_seconds
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def _run_tick(self) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._tick()
        except Exception:
            log.exception("scheduler tick failed")
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

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

    def replace_cron_jobs(self, recurrences: dict[str, Recurrence]) -> None:
        """One cron job per active schedule; each fires the tick, which reads the DB deadline."""
        for job in self.scheduler.get_jobs():
            if job.id.startswith(SESSION_JOB_PREFIX) and (
                job.id.removeprefix(SESSION_JOB_PREFIX) not in recurrences
            ):
                job.remove()
        for schedule_id, recurrence in recurrences.items():
            self.scheduler.add_job(
                self._run_tick,
                cron_trigger(recurrence),
                id=SESSION_JOB_PREFIX + schedule_id,
                max_instances=1,
                coalesce=True,
                replace_existing=True,
            )

    async def shutdown(self) -> None:
        """Stop triggering, let a running tick finish its transaction, then shut down.

        APScheduler cancels jobs that are still running at shutdown, which would abort a tick
        half-way; pausing first and waiting for idle avoids that.
        """
        if self.scheduler.running:
            self.scheduler.pause()
            await self._idle.wait()
            self.scheduler.shutdown(wait=False)
