"""Leads' reports as a service: stats with a chart on demand, the scheduler tick's report
deadlines (session report, follow-up, monthly digest) and the digest opt-in.

Every deadline is a `lead_reports` row; the tick claims a due row and queues its delivery in one
transaction, so a crash neither loses a report nor sends one twice. A lead who asks for stats or
a digest is checked by the adapter (`is_lead`); a refusal changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.model import Delivery, DeliveryKind, RoundState
from bot.engine.stats import compute_reciprocity
from bot.engine.timing import into_daytime, zone
from bot.i18n.translate import _
from bot.identity import Member
from bot.reports import chart, sessions
from bot.reports.chart import Chart
from bot.reports.figures import Figures, figures_of
from bot.reports.sessions import DIGEST, DONE, FOLLOW_UP, PENDING, SESSION
from bot.reports.texts import (
    DIGEST_OFF,
    DIGEST_ON,
    DIGEST_WAS_OFF,
    STATS_LEADS_ONLY,
    last_days,
    reciprocity_lines,
    stats_summary,
)
from bot.service.rounds import Outcome
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import lead_reports, members, rounds, schedules

log = logging.getLogger(__name__)

STATS_DAYS = 30
DEFAULT_FOLLOW_UP = timedelta(days=7)


@dataclass(frozen=True)
class StatsReply:
    """A one-line summary (or a refusal) and, when figures may be shown, their chart: built
    for the lead who asked, in the current reader's language (the adapter's context)."""

    ok: bool
    text: str
    chart: Chart | None = None


class ReportService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        follow_up_after: timedelta = DEFAULT_FOLLOW_UP,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.follow_up_after = follow_up_after
        self._on_enqueued = on_enqueued

    # --- /rapport stats -----------------------------------------------------------------------

    async def stats(
        self, lead: Member, is_lead: bool, channel_id: str | None = None, days: int = STATS_DAYS
    ) -> StatsReply:
        """The last `days` of the workspace (or one channel's sessions), as a line and a chart."""
        if not is_lead:
            return StatsReply(False, _(STATS_LEADS_ONLY))
        since = self.clock.now() - timedelta(days=days)
        async with self.db.transaction() as conn:
            states = await _states(conn, lead, since, None, channel_id)
        figures = figures_of(states)
        text = stats_summary(figures, last_days(days))
        lines = [text, *reciprocity_lines(compute_reciprocity(states))]
        return StatsReply(
            True, "\n".join(lines), None if figures.withheld else await chart.render(figures)
        )

    # --- the monthly digest -------------------------------------------------------------------

    async def set_digest(self, lead: Member, is_lead: bool, on: bool) -> Outcome:
        if not is_lead:
            return Outcome(False, STATS_LEADS_ONLY, code="not_lead")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if not on:
                removed = await conn.execute(
                    lead_reports.delete().where(*_pending_digest(lead.key))
                )
                return Outcome(True, DIGEST_OFF if removed.rowcount else DIGEST_WAS_OFF)
            pending = sa.select(lead_reports.c.ref).where(*_pending_digest(lead.key))
            if (await conn.execute(pending)).first() is None:
                await _add_digest(conn, lead.key, await _timezone(conn, lead.key), now)
        return Outcome(True, DIGEST_ON)

    # --- the tick -----------------------------------------------------------------------------

    async def run_due(self) -> int:
        """Send every report whose deadline passed (and whose session is ready); how many."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            due = list(
                await conn.execute(
                    sa.select(lead_reports)
                    .where(lead_reports.c.status == PENDING, lead_reports.c.due_at <= now)
                    .order_by(lead_reports.c.due_at)
                )
            )
        sent = 0
        for report in due:
            sent += await self._run(report.ref, now)
        if sent:
            self._on_enqueued()
        return sent

    async def _run(self, ref: str, now: datetime) -> int:
        async with self.db.transaction() as conn:
            # read again inside the transaction: another tick may have sent it meanwhile
            report = (
                await conn.execute(
                    sa.select(lead_reports).where(
                        lead_reports.c.ref == ref, lead_reports.c.status == PENDING
                    )
                )
            ).first()
            if report is None:
                return 0
            deliveries = await self._deliveries(conn, report, now)
            if deliveries is None:
                return 0
            await repo.enqueue(conn, [(None, d) for d in deliveries], now)
        log.info("lead report %s (%s) queued", report.kind, report.schedule_id or "digest")
        return 1

    async def _deliveries(
        self, conn: AsyncConnection, report: Any, now: datetime
    ) -> list[Delivery] | None:
        if report.kind == SESSION:
            return await sessions.session_report(conn, report, now, self.follow_up_after)
        if report.kind == FOLLOW_UP:
            return await sessions.follow_up(conn, report, now)
        return await _digest(conn, report, now)


# --- the digest -------------------------------------------------------------------------------


def _pending_digest(lead_key: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        lead_reports.c.lead_key == lead_key,
        lead_reports.c.kind == DIGEST,
        lead_reports.c.status == PENDING,
    )


async def _timezone(conn: AsyncConnection, member_key: str) -> str | None:
    return (
        await conn.execute(sa.select(members.c.timezone).where(members.c.member_key == member_key))
    ).scalar()


async def _add_digest(
    conn: AsyncConnection, lead_key: str, timezone: str | None, now: datetime
) -> None:
    """The next digest: the 1st of next month at the start of the lead's day, local time."""
    local = now.astimezone(zone(timezone))
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    since, due_month = month_start, _next_month(month_start)
    data = {
        "timezone": timezone,
        "since": since.isoformat(),
        "until": due_month.isoformat(),
        "month": f"{since:%B %Y}",  # English; the digest names it in the lead's language
    }
    await conn.execute(
        repo.dialect_insert(conn)(lead_reports)
        .values(
            ref=f"{DIGEST}:{lead_key}:{since:%Y-%m}",
            kind=DIGEST,
            lead_key=lead_key,
            status=PENDING,
            due_at=into_daytime(due_month, timezone),
            data=json.dumps(data),
            created_at=now,
        )
        .on_conflict_do_nothing()
    )


def _next_month(start: datetime) -> datetime:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month)


async def _digest(conn: AsyncConnection, report: Any, now: datetime) -> list[Delivery]:
    """Last month's figures for the lead's workspace; the next month's digest is scheduled."""
    data = json.loads(report.data)
    lead = Member.from_key(report.lead_key)
    since, until = datetime.fromisoformat(data["since"]), datetime.fromisoformat(data["until"])
    figures: Figures = figures_of(await _states(conn, lead, since, until, None))
    await conn.execute(
        lead_reports.update()
        .where(lead_reports.c.ref == report.ref)
        .values(status=DONE, done_at=now)
    )
    await _add_digest(conn, report.lead_key, data["timezone"], until)
    payload = {"month": data["month"], "since": data["since"], "figures": figures.to_data()}
    return [Delivery(report.lead_key, DeliveryKind.STATS_DIGEST, payload)]


async def _states(
    conn: AsyncConnection,
    lead: Member,
    since: datetime,
    until: datetime | None,
    channel_id: str | None,
) -> Sequence[RoundState]:
    """The workspace's rounds started in [since, until) (None: up to now), or only one
    channel's sessions'."""
    query = sa.select(rounds.c.state).where(
        rounds.c.workspace == lead.workspace, rounds.c.created_at >= since
    )
    if until is not None:
        query = query.where(rounds.c.created_at < until)
    if channel_id is not None:
        channel_schedules = sa.select(schedules.c.id).where(
            schedules.c.platform == lead.platform,
            schedules.c.workspace_id == lead.workspace_id,
            schedules.c.channel_id == channel_id,
        )
        query = query.where(rounds.c.schedule_id.in_(channel_schedules))
    return [repo.decode_state(raw) for raw in (await conn.execute(query)).scalars()]
