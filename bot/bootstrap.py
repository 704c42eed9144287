"""The composition root: wires store, engine service, outbox and scheduler; tests pass fakes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.engine.bank import Bank
from bot.i18n import prompts
from bot.ops.health import HealthMonitor
from bot.ops.startup_errors import check_database, open_database
from bot.questions.loader import load_banks
from bot.questions.translations import load_translations
from bot.reports.inbox import InboxService
from bot.reports.service import ReportService
from bot.service.languages import MemberLanguages
from bot.service.leader import Leadership, leadership_for
from bot.service.members import MemberDirectory
from bot.service.outbox import OutboxDispatcher, RetryPolicy
from bot.service.ports import ChannelDirectory, Sender
from bot.service.privacy import PrivacyService
from bot.service.rounds import RoundService
from bot.service.scheduler import TickScheduler
from bot.service.schedules import ScheduleService
from bot.service.workspaces import WorkspaceSettings
from bot.store.database import Database

# messages per second; Slack allows ~1/s per channel, so a workspace-wide 20/s stays safe
DEFAULT_RATES = {"slack": 20.0, "discord": 40.0}
STOP_GRACE_SECONDS = 10.0


@dataclass
class Rapport:
    """A running core: adapters use `service` and `members`; `start`/`stop` run the loops."""

    db: Database
    service: RoundService
    members: MemberDirectory
    dispatcher: OutboxDispatcher
    scheduler: TickScheduler
    banks: Mapping[str, Bank]
    schedules: ScheduleService
    leader: Leadership
    privacy: PrivacyService
    health: HealthMonitor
    reports: ReportService
    inbox: InboxService
    languages: MemberLanguages
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        await check_database(self.db)
        await self.db.upgrade()
        await self.leader.start()
        self._tasks.append(asyncio.create_task(self.dispatcher.run_forever()))
        self.scheduler.start()
        await self.sync_session_jobs()

    async def sync_session_jobs(self) -> None:
        """Rebuild the recurring sessions' cron jobs from the database (the source of truth)."""
        self.scheduler.replace_cron_jobs(await self.schedules.cron_specs())

    async def tick(self) -> None:
        """One scheduler pulse: due sessions and follow-ups, then whatever they queued.

        Only the leader does the work (one process across all sharing a PostgreSQL database).
        """
        if await self.leader.confirm():
            await self.schedules.run_due()
            await self.service.run_due()
            await self.reports.run_due()
            await self.privacy.purge_expired_answers()
            await self.dispatcher.run_once()
        self.health.tick_succeeded()

    async def stop(self) -> None:
        await self.scheduler.shutdown()
        await self.service.committer.drain()
        self.dispatcher.stop()
        if self._tasks:
            # let a pass in flight finish: a send cancelled mid-transaction can wedge aiosqlite
            await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.languages.stop()
        await self.leader.stop()
        await self.db.dispose()


def build(
    settings: Settings,
    *,
    senders: Mapping[str, Sender],
    directories: Mapping[str, ChannelDirectory] | None = None,
    clock: Clock | None = None,
    banks: Mapping[str, Bank] | None = None,
    rates_per_second: Mapping[str, float] | None = None,
    retry_policy: RetryPolicy | None = None,
) -> Rapport:
    clock = clock or SystemClock()
    db = open_database(settings.database_url)
    if banks is None:
        banks = load_banks(settings.question_dirs(), depth=settings.max_layer)
        prompts.install(load_translations(settings.question_dirs(), banks))
    dispatcher = OutboxDispatcher(
        db,
        senders,
        clock,
        rates_per_second or DEFAULT_RATES,
        retry_policy or RetryPolicy(lease=timedelta(seconds=settings.outbox_lease_seconds)),
    )
    defaults = WorkspaceSettings(
        default_bank=settings.default_bank,
        max_layer=settings.max_layer,
        prompts_per_layer=settings.prompts_per_layer,
        reminder_hours=settings.reminder_hours,
        max_reminders=settings.max_reminders,
        expire_days=settings.expire_days,
        follow_ups=settings.follow_ups,
        balance_guard=settings.balance_guard,
        lead_role=settings.discord_lead_role,
        lead_users=tuple(sorted(settings.slack_lead_ids())),
    )
    service = RoundService(db, banks, clock, defaults, on_enqueued=dispatcher.wake)
    follow_up = timedelta(days=settings.report_follow_up_days)
    rapport = Rapport(
        db=db,
        service=service,
        members=MemberDirectory(db, clock),
        dispatcher=dispatcher,
        scheduler=TickScheduler(lambda: rapport.tick(), settings.tick_seconds),
        banks=banks,
        leader=leadership_for(db),
        privacy=PrivacyService(db, clock, service, _retention(settings)),
        health=HealthMonitor(
            db, clock, settings.tick_seconds, is_leader=lambda: rapport.leader.is_leader
        ),
        schedules=ScheduleService(db, service, clock, directories or {}, dispatcher.wake),
        reports=ReportService(db, clock, follow_up, dispatcher.wake),
        inbox=InboxService(db, clock),
        languages=MemberLanguages(db, clock, service.workspaces),
    )
    return rapport


def _retention(settings: Settings) -> timedelta | None:
    days = settings.answer_retention_days
    return timedelta(days=days) if days > 0 else None
