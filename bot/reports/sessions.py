"""A session's report for the lead who owns the schedule, and its follow-up a week later.

`record_session` runs inside the transaction that stores a session's pairing, so the counts of
who was left out and why (taken from the channel listing, which is never stored) survive any
crash. The report itself waits, as a database deadline run by the scheduler tick, until the
session is done and its invitations were delivered or refused (or `SETTLE_WAIT` passed), then
goes out through the outbox in the same transaction that schedules the follow-up.

Only counts are kept and sent: never who declined, opted out or answered, never any text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.engine.model import Delivery, DeliveryKind
from bot.engine.stats import MIN_GROUP
from bot.identity import Member
from bot.messages.team import schedule_outcome
from bot.reports.figures import deepest_layers, figures_of
from bot.service.ports import ChannelMember
from bot.store import repository as repo
from bot.store.bulk import any_of, slices
from bot.store.tables import (
    lead_reports,
    members,
    outbox,
    schedule_sessions,
    schedules,
    session_groups,
)

SESSION, FOLLOW_UP, DIGEST = "session", "follow_up", "digest"
PENDING, DONE = "pending", "done"
# invitations still unsent after this long don't hold the report back any more
SETTLE_WAIT = timedelta(minutes=30)
DMS_CLOSED = "dms_closed"  # the reason the Discord sender records for error 50007


def session_ref(kind: str, schedule_id: str, occurrence: datetime) -> str:
    return f"{kind}:{schedule_id}:{occurrence.isoformat()}"


async def record_session(
    conn: AsyncConnection,
    row: Any,
    occurrence: datetime,
    listed: Sequence[ChannelMember],
    unplaced: int,
    now: datetime,
) -> None:
    """Keep who was left out and why (counts), for the report once the session is done."""
    humans = [Member(row.platform, row.workspace_id, m.user_id).key for m in listed if not m.is_bot]
    prefs = []
    for part in slices(humans):  # a channel may have 100,000 members
        query = sa.select(members.c.opted_out, members.c.paused_until)
        prefs += list(await conn.execute(query.where(any_of(conn, members.c.member_key, part))))
    opted_out = sum(1 for p in prefs if p.opted_out)
    paused = sum(1 for p in prefs if not p.opted_out and p.paused_until and p.paused_until > now)
    counts = {
        "found": len(listed),
        "people": len(humans),
        "bots": len(listed) - len(humans),
        "opted_out": opted_out,
        "paused": paused,
        "no_partner": unplaced,
    }
    await _add_report(conn, SESSION, (row.id, row.created_by, occurrence), now, counts, now)


async def _add_report(
    conn: AsyncConnection,
    kind: str,
    session: tuple[str, str, datetime],
    due: datetime,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """A pending report on (schedule id, lead key, occurrence); an existing one stays."""
    schedule_id, lead_key, occurrence = session
    await conn.execute(
        repo.dialect_insert(conn)(lead_reports)
        .values(
            ref=session_ref(kind, schedule_id, occurrence),
            kind=kind,
            lead_key=lead_key,
            schedule_id=schedule_id,
            occurrence=occurrence,
            status=PENDING,
            due_at=due,
            data=json.dumps(data),
            created_at=now,
        )
        .on_conflict_do_nothing()
    )


async def session_report(
    conn: AsyncConnection, report: Any, now: datetime, follow_up_after: timedelta
) -> list[Delivery] | None:
    """The session report's deliveries once the session is done and its invitations settled;
    None while it should wait. Schedules the follow-up."""
    status = (
        await conn.execute(
            sa.select(schedule_sessions.c.status).where(
                schedule_sessions.c.schedule_id == report.schedule_id,
                schedule_sessions.c.occurrence == report.occurrence,
            )
        )
    ).scalar()
    if status != "done":
        return None
    groups = await _started_groups(conn, report.schedule_id, report.occurrence)
    invitations = await _invitations(conn, [round_id for round_id, _ in groups])
    pending = sum(1 for i in invitations if i.status in ("pending", "sending"))
    if pending and now < report.created_at + SETTLE_WAIT:
        return None
    closed = [i.member_key for i in invitations if i.status == "failed" and i.error == DMS_CLOSED]
    sizes = [size for _, size in groups]
    data = {
        **json.loads(report.data),
        "schedule_id": report.schedule_id,
        "pairs": sizes.count(2),
        "trios": sizes.count(3),
        "paired": sum(sizes),
        "delivered": sum(1 for i in invitations if i.status == "sent"),
        "failed": sum(1 for i in invitations if i.status == "failed"),
        "dms_closed": len(closed),
        "pending": pending,
        "follow_up_days": round(follow_up_after / timedelta(days=1)),
    }
    data["withheld"] = data["people"] < MIN_GROUP
    await _close(conn, report, data, now)
    session = (report.schedule_id, report.lead_key, report.occurrence)
    await _add_report(conn, FOLLOW_UP, session, now + follow_up_after, {}, now)
    deliveries = [Delivery(report.lead_key, DeliveryKind.SESSION_REPORT, data)]
    if closed:
        lead = Member.from_key(report.lead_key)
        channel = await _channel_of(conn, report.schedule_id)
        if channel is not None:
            to = Member.channel(lead.platform, lead.workspace_id, channel).key
            deliveries.append(Delivery(to, DeliveryKind.DMS_CLOSED_NOTICE, {"members": closed}))
    return deliveries


async def follow_up(conn: AsyncConnection, report: Any, now: datetime) -> list[Delivery]:
    """How the session's rounds went, a week (by default) after it ran."""
    groups = await _started_groups(conn, report.schedule_id, report.occurrence)
    states = await repo.load_states(conn, [round_id for round_id, _ in groups])
    figures = figures_of(states)
    data = {
        "schedule_id": report.schedule_id,
        "groups": len(states),
        "accepted": sum(1 for s in states if set(s.members) <= s.accepted),
        "completed": figures.completed,
        "depths": {str(layer): count for layer, count in deepest_layers(states).items()},
        "rated": figures.rated,
        "average_rating": figures.average_rating,
        "people": figures.people,
        "withheld": figures.withheld,
        "figures": figures.to_data(),
    }
    await _close(conn, report, {}, now)
    return [Delivery(report.lead_key, DeliveryKind.REPORT_FOLLOW_UP, data)]


async def _close(conn: AsyncConnection, report: Any, data: dict[str, Any], now: datetime) -> None:
    values: dict[str, Any] = {"status": DONE, "done_at": now}
    if data:
        values["data"] = json.dumps(data)
    await conn.execute(lead_reports.update().where(lead_reports.c.ref == report.ref).values(values))


async def _started_groups(
    conn: AsyncConnection, schedule_id: str, occurrence: datetime
) -> list[tuple[str, int]]:
    """(round id, group size) of each group of the session whose round started."""
    rows = await conn.execute(
        sa.select(session_groups.c.round_id, session_groups.c.member_keys).where(
            session_groups.c.schedule_id == schedule_id,
            session_groups.c.occurrence == occurrence,
            session_groups.c.round_id.is_not(None),
        )
    )
    return [(r.round_id, len(json.loads(r.member_keys)["members"])) for r in rows]


async def _invitations(conn: AsyncConnection, round_ids: list[str]) -> list[Any]:
    if not round_ids:
        return []
    return list(
        await conn.execute(
            sa.select(outbox.c.member_key, outbox.c.status, outbox.c.error).where(
                outbox.c.round_id.in_(round_ids), outbox.c.kind == DeliveryKind.INVITATION.value
            )
        )
    )


async def _channel_of(conn: AsyncConnection, schedule_id: str) -> str | None:
    return (
        await conn.execute(sa.select(schedules.c.channel_id).where(schedules.c.id == schedule_id))
    ).scalar()


async def last_outcomes(conn: AsyncConnection, schedule_ids: Sequence[str]) -> dict[str, str]:
    """Each schedule's last session and how it went, in one line (for `schedule list`)."""
    if not schedule_ids:
        return {}
    latest = (
        sa.select(
            schedule_sessions.c.schedule_id,
            sa.func.max(schedule_sessions.c.occurrence).label("occurrence"),
        )
        .where(schedule_sessions.c.schedule_id.in_(schedule_ids))
        .group_by(schedule_sessions.c.schedule_id)
        .subquery()
    )
    rows = await conn.execute(
        sa.select(schedule_sessions, lead_reports.c.status.label("report"), lead_reports.c.data)
        .join(
            latest,
            sa.and_(
                latest.c.schedule_id == schedule_sessions.c.schedule_id,
                latest.c.occurrence == schedule_sessions.c.occurrence,
            ),
        )
        .outerjoin(
            lead_reports,
            sa.and_(
                lead_reports.c.kind == SESSION,
                lead_reports.c.schedule_id == schedule_sessions.c.schedule_id,
                lead_reports.c.occurrence == schedule_sessions.c.occurrence,
            ),
        )
    )
    return {
        row.schedule_id: schedule_outcome(
            row.occurrence,
            row.status,
            row.groups_count,
            json.loads(row.data) if row.report == DONE else None,
        )
        for row in rows
    }
