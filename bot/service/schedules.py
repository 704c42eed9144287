"""Recurring sessions: leads schedule them, the tick runs them, each pairs a channel's members.

A session occurrence is (schedule id, occurrence time). Running one is idempotent and resumable:
the pairing is stored first, each group's round is started in the same transaction that records
its round id, and the channel summary is queued in the transaction that marks the session done.
Running the same occurrence twice, or again after a crash half-way, invites nobody twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.model import Delivery, DeliveryKind, Pace, Rejected
from bot.engine.pairing import Pair, make_groups
from bot.engine.presets import parse_pace
from bot.engine.recurrence import WEEKDAYS, Recurrence
from bot.i18n import N_, N_plural
from bot.identity import Member
from bot.reports.sessions import last_outcomes, record_session
from bot.service.ports import ChannelDirectory, ChannelMember
from bot.service.rounds import Outcome, RoundService, SessionGroupStart
from bot.service.schedule_options import parse_schedule, parse_time
from bot.store import repository as repo
from bot.store.bulk import analyze, any_of, insert_rows, slices
from bot.store.database import Database
from bot.store.tables import (
    avoid_pairs,
    members,
    outbox,
    pair_prompts,
    round_members,
    rounds,
    schedule_sessions,
    schedules,
    session_groups,
)

log = logging.getLogger(__name__)

GRACE = timedelta(hours=6)
RECENT_SESSIONS = 6
START_CHUNK = 128  # groups whose rounds start together in one transaction; a crash half-way
# through a session redoes at most one chunk (resuming skips linked groups)
# a session this large refreshes the planner's statistics as it writes (bot/store/bulk.py)
ANALYZE_MIN_GROUPS = 1_000
LEAD_ONLY = N_("Only team leads can manage schedules. Ask a lead (or a workspace admin) to help.")


@dataclass(frozen=True)
class ScheduleView:
    id: str
    channel_id: str
    description: str
    status: str
    next_run: str | None
    last_skip: str | None
    last_run: str | None = None  # the last session and how it went, in one line


class ScheduleService:
    def __init__(
        self,
        db: Database,
        rounds: RoundService,
        clock: Clock,
        directories: Mapping[str, ChannelDirectory],
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.rounds = rounds
        self.clock = clock
        self.directories = directories
        self._on_enqueued = on_enqueued

    # --- lead commands ----------------------------------------------------------------------

    async def add(self, lead: Member, is_lead: bool, channel_id: str, text: str) -> Outcome:
        if not is_lead:
            return Outcome(False, LEAD_ONLY, code="not_lead")
        try:
            request = parse_schedule(text)
            if request.bank is not None and not self.rounds.questions.has_bank(request.bank):
                raise Rejected(
                    "unknown_bank",
                    N_(
                        "bank:{bank} isn't installed. Available: {available}.",
                        bank=request.bank,
                        available=", ".join(self.rounds.questions.bank_names()),
                    ),
                )
        except Rejected as rejected:
            return Outcome(False, rejected.message, code=rejected.code)
        now = self.clock.now()
        schedule_id = uuid.uuid4().hex[:8]
        recurrence = Recurrence(
            request.every_weeks, request.weekday, request.at, request.timezone, now.date()
        )
        next_run = recurrence.next_after(now)
        async with self.db.transaction() as conn:
            await conn.execute(
                schedules.insert().values(
                    id=schedule_id,
                    platform=lead.platform,
                    workspace_id=lead.workspace_id,
                    channel_id=channel_id,
                    every_weeks=request.every_weeks,
                    weekday=request.weekday,
                    time_of_day=request.at.strftime("%H:%M"),
                    timezone=request.timezone,
                    max_layer=request.depth,
                    bank=request.bank,
                    pace=request.pace.value,
                    status="active",
                    created_by=lead.key,
                    created_at=now,
                    next_run_at=next_run,
                )
            )
        return Outcome(
            True,
            N_(
                "Scheduled {schedule_id}: first session {when}.",
                schedule_id=schedule_id,
                when=recurrence.describe(next_run),
            ),
            code=schedule_id,
        )

    async def list_for(self, platform: str, workspace_id: str) -> list[ScheduleView]:
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute(
                    sa.select(schedules)
                    .where(
                        schedules.c.platform == platform,
                        schedules.c.workspace_id == workspace_id,
                        schedules.c.status != "removed",
                    )
                    .order_by(schedules.c.created_at)
                )
            )
            outcomes = await last_outcomes(conn, [row.id for row in rows])
        return [replace(_view(row), last_run=outcomes.get(row.id)) for row in rows]

    async def set_status(
        self, lead: Member, is_lead: bool, schedule_id: str, action: str
    ) -> Outcome:
        if not is_lead:
            return Outcome(False, LEAD_ONLY, code="not_lead")
        status = {"pause": "paused", "resume": "active", "remove": "removed"}[action]
        row = await self._own_schedule(lead, schedule_id)
        if row is None:
            return Outcome(
                False,
                N_("There's no schedule {schedule_id} here.", schedule_id=schedule_id),
                code="unknown",
            )
        values: dict[str, object] = {"status": status}
        if status == "active":
            values["next_run_at"] = _recurrence(row).next_after(self.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                schedules.update().where(schedules.c.id == schedule_id).values(**values)
            )
        return Outcome(
            True,
            N_("Schedule {schedule_id} is now {status}.", schedule_id=schedule_id, status=status),
        )

    async def run_now(self, lead: Member, is_lead: bool, schedule_id: str) -> Outcome:
        if not is_lead:
            return Outcome(False, LEAD_ONLY, code="not_lead")
        row = await self._own_schedule(lead, schedule_id)
        if row is None or row.status == "removed":
            return Outcome(
                False,
                N_("There's no schedule {schedule_id} here.", schedule_id=schedule_id),
                code="unknown",
            )
        occurrence = self.clock.now().replace(second=0, microsecond=0)
        report = await self.run_occurrence(row, occurrence)
        return Outcome(True, report)

    async def avoid(self, member: Member, other: Member) -> Outcome:
        if member == other:
            return Outcome(False, N_("You can't avoid yourself."), code="self")
        async with self.db.transaction() as conn:
            exists = (
                await conn.execute(
                    sa.select(avoid_pairs).where(
                        avoid_pairs.c.member_key == member.key,
                        avoid_pairs.c.avoided_key == other.key,
                    )
                )
            ).first()
            if exists is None:
                await conn.execute(
                    avoid_pairs.insert().values(member_key=member.key, avoided_key=other.key)
                )
        return Outcome(
            True, N_("Noted. Scheduled sessions won't pair you two. They won't be told.")
        )

    async def cron_specs(self) -> dict[str, Recurrence]:
        async with self.db.transaction() as conn:
            rows = await conn.execute(sa.select(schedules).where(schedules.c.status == "active"))
            return {row.id: _recurrence(row) for row in rows}

    async def _own_schedule(self, lead: Member, schedule_id: str) -> sa.Row | None:
        async with self.db.transaction() as conn:
            return (
                await conn.execute(
                    sa.select(schedules).where(
                        schedules.c.id == schedule_id,
                        schedules.c.platform == lead.platform,
                        schedules.c.workspace_id == lead.workspace_id,
                    )
                )
            ).first()

    # --- the tick ---------------------------------------------------------------------------

    async def run_due(self) -> int:
        """Run due sessions (within the grace window), skip stale ones, resume half-done ones."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            due = list(
                await conn.execute(
                    sa.select(schedules).where(
                        schedules.c.status == "active", schedules.c.next_run_at <= now
                    )
                )
            )
        for row in due:
            await self._claim_or_skip(row, now)
        async with self.db.transaction() as conn:
            unfinished = list(
                await conn.execute(
                    sa.select(schedules, schedule_sessions.c.occurrence)
                    .join(schedule_sessions, schedule_sessions.c.schedule_id == schedules.c.id)
                    .where(schedule_sessions.c.status.in_(("claimed", "running")))
                )
            )
        for row in unfinished:
            await self.run_occurrence(row, row.occurrence)
        return len(unfinished)

    async def _claim_or_skip(self, row: sa.Row, now: datetime) -> None:
        """Advance the schedule and record the occurrence in one step, so a crash loses none."""
        occurrence = row.next_run_at
        next_run = _recurrence(row).next_after(max(now, occurrence))
        skipped = now - occurrence > GRACE
        async with self.db.transaction() as conn:
            claimed = await conn.execute(
                schedules.update()
                .where(schedules.c.id == row.id, schedules.c.next_run_at == occurrence)
                .values(next_run_at=next_run, **_skip_values(occurrence, now))
            )
            if claimed.rowcount == 1 and not skipped:
                await _claim_session(conn, row.id, occurrence, now)
        if claimed.rowcount == 1 and not skipped:
            log.info("schedule %s: the session of %s fired", row.id, occurrence.isoformat())
        if claimed.rowcount == 1 and skipped:
            log.warning(
                "schedule %s: skipped the session of %s (missed by more than %s)",
                row.id,
                occurrence.isoformat(),
                GRACE,
            )

    async def run_occurrence(self, row: sa.Row, occurrence: datetime) -> str:
        """Pair, invite and summarise one occurrence; safe to call again for the same one."""
        groups = await self._pair_once(row, occurrence)
        waiting = [(no, keys, leads) for no, keys, leads, round_id in groups if round_id is None]
        del groups
        large = len(waiting) >= ANALYZE_MIN_GROUPS
        next_analyze = 1 if large else len(waiting) + 1
        # a chunk of groups starts in one transaction; small chunks keep a crash's loss small
        for number, first in enumerate(range(0, len(waiting), START_CHUNK), start=1):
            await self._start_groups(row, occurrence, waiting[first : first + START_CHUNK])
            if number == next_analyze:  # after chunks 1, 2, 4, 8, …: as the tables double
                await self._analyze()
                next_analyze *= 2
        if large:  # the dispatcher's claim query plans on what is now queued
            await self._analyze()
        return await self._finish(row, occurrence)

    async def _analyze(self) -> None:
        async with self.db.transaction() as conn:
            await analyze(conn, [rounds, round_members, outbox, session_groups, pair_prompts])

    async def _pair_once(self, row: sa.Row, occurrence: datetime) -> list[tuple]:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await _claim_session(conn, row.id, occurrence, now)
            status = await _session_status(conn, row.id, occurrence)
        if status == "claimed":
            listed = await self.directories[row.platform].channel_members(
                row.workspace_id, row.channel_id
            )
            async with self.db.transaction() as conn:
                await self._store_pairing(conn, row, occurrence, listed)
        groups = await self._groups(row.id, occurrence)
        assert groups is not None
        return groups

    async def _store_pairing(
        self, conn: AsyncConnection, row: sa.Row, occurrence: datetime, listed: list[ChannelMember]
    ) -> None:
        now = self.clock.now()
        people = await _eligible(conn, row, listed, now)
        keys = [Member(row.platform, row.workspace_id, m.user_id).key for m in people]
        leads = [k for k, m in zip(keys, people, strict=True) if m.is_lead]
        pairing = make_groups(
            keys,
            recent=await _recent_pairs(conn, row.id),
            avoid=await _avoided(conn, keys),
            seed=int(occurrence.timestamp()),
        )
        started = await conn.execute(
            schedule_sessions.update()
            .where(
                schedule_sessions.c.schedule_id == row.id,
                schedule_sessions.c.occurrence == occurrence,
                schedule_sessions.c.status == "claimed",
            )
            .values(status="running", members_count=len(keys), groups_count=len(pairing.groups))
        )
        if started.rowcount != 1:
            return  # another run of this occurrence paired it first
        log.info(
            "schedule %s: session of %s started: members %d, groups %d, not paired %d",
            row.id,
            occurrence.isoformat(),
            len(keys),
            len(pairing.groups),
            len(pairing.unplaced),
        )
        await _store_groups(conn, row.id, occurrence, pairing.groups, leads)
        await record_session(conn, row, occurrence, listed, len(pairing.unplaced), now)
        not_paired = [(None, Delivery(m, DeliveryKind.NOT_PAIRED, {})) for m in pairing.unplaced]
        await repo.enqueue(conn, not_paired, now)

    async def _groups(self, schedule_id: str, occurrence: datetime) -> list[tuple] | None:
        async with self.db.transaction() as conn:
            session = (
                await conn.execute(
                    sa.select(schedule_sessions.c.status).where(
                        schedule_sessions.c.schedule_id == schedule_id,
                        schedule_sessions.c.occurrence == occurrence,
                    )
                )
            ).first()
            if session is None:
                return None
            rows = await conn.execute(
                sa.select(session_groups)
                .where(
                    session_groups.c.schedule_id == schedule_id,
                    session_groups.c.occurrence == occurrence,
                )
                .order_by(session_groups.c.group_no)
            )
            return [(r.group_no, *_decode_group(r.member_keys), r.round_id) for r in rows]

    async def _start_groups(
        self, row: sa.Row, occurrence: datetime, chunk: list[tuple[int, list[str], list[str]]]
    ) -> None:
        starts = [
            SessionGroupStart(
                members=tuple(Member.from_key(k) for k in keys),
                ref=(row.id, occurrence, group_no),
                # a lead paired with a member only gets prompts safe across a hierarchy
                hierarchy_safe_only=bool(set(leads)) and not set(keys) <= set(leads),
            )
            for group_no, keys, leads in chunk
        ]
        outcomes = await self.rounds.start_session_groups(
            starts, bank=row.bank, pace=parse_pace(row.pace) or Pace.DAILY, max_layer=row.max_layer
        )
        for start, outcome in zip(starts, outcomes, strict=True):
            if not outcome.ok:
                log.info("schedule %s group %d not started: %s", row.id, start.ref[2], outcome.code)

    async def _finish(self, row: sa.Row, occurrence: datetime) -> str:
        now = self.clock.now()
        next_run = _recurrence(row).next_after(max(now, occurrence))
        async with self.db.transaction() as conn:
            finished = await conn.execute(
                schedule_sessions.update()
                .where(
                    schedule_sessions.c.schedule_id == row.id,
                    schedule_sessions.c.occurrence == occurrence,
                    schedule_sessions.c.status == "running",
                )
                .values(status="done", finished_at=now)
            )
            groups = list(
                await conn.execute(
                    sa.select(session_groups).where(
                        session_groups.c.schedule_id == row.id,
                        session_groups.c.occurrence == occurrence,
                    )
                )
            )
            started = [g for g in groups if g.round_id is not None]
            session = (
                await conn.execute(
                    sa.select(schedule_sessions).where(
                        schedule_sessions.c.schedule_id == row.id,
                        schedule_sessions.c.occurrence == occurrence,
                    )
                )
            ).one()
            placed = sum(len(_decode_group(g.member_keys)[0]) for g in groups)
            data = {
                "groups": len(started),
                "trios": sum(1 for g in started if len(_decode_group(g.member_keys)[0]) == 3),
                "unplaced": session.members_count - placed,
                "next_session": _recurrence(row).describe(next_run),
            }
            if finished.rowcount == 1:
                channel = Member.channel(row.platform, row.workspace_id, row.channel_id)
                await repo.enqueue(
                    conn, [(None, Delivery(channel.key, DeliveryKind.SESSION_SUMMARY, data))], now
                )
                await conn.execute(
                    schedules.update().where(schedules.c.id == row.id).values(last_run_at=now)
                )
        if finished.rowcount == 1:
            log.info(
                "schedule %s: session of %s ended: groups started %d (trios %d), not paired %d",
                row.id,
                occurrence.isoformat(),
                data["groups"],
                data["trios"],
                data["unplaced"],
            )
        self._on_enqueued()
        return N_plural(
            "{count} group started · next session {next_session}",
            "{count} groups started · next session {next_session}",
            int(data["groups"]),
            next_session=data["next_session"],
        )


# --- helpers --------------------------------------------------------------------------------


def _recurrence(row: sa.Row) -> Recurrence:
    return Recurrence(
        row.every_weeks,
        row.weekday,
        parse_time(row.time_of_day),
        row.timezone,
        row.created_at.date(),
    )


def _view(row: sa.Row) -> ScheduleView:
    rec = _recurrence(row)
    every = (
        N_("every week")
        if row.every_weeks == 1
        else N_("every {every_weeks} weeks", every_weeks=row.every_weeks)
    )
    description = N_(
        "{every} on {day} {time_of_day} {timezone} · depth {depth} · {pace}{bank}",
        every=every,
        day=WEEKDAYS[row.weekday].title(),
        time_of_day=row.time_of_day,
        timezone=row.timezone,
        depth=row.max_layer or N_("as the team"),
        pace=row.pace,
        bank=N_(" · bank {bank}", bank=row.bank) if row.bank else "",
    )
    skip = None
    if row.last_skip_at is not None:
        skip = f"{row.last_skip_at:%Y-%m-%d %H:%M} UTC: {row.last_skip_reason}"
    next_run = rec.describe(row.next_run_at) if row.next_run_at and row.status == "active" else None
    return ScheduleView(row.id, row.channel_id, description, row.status, next_run, skip)


def _skip_values(occurrence: datetime, now: datetime) -> dict[str, object]:
    if now - occurrence <= GRACE:
        return {}
    reason = f"missed the {occurrence:%Y-%m-%d %H:%M} UTC session while offline"
    return {"last_skip_at": now, "last_skip_reason": reason}


async def _eligible(
    conn: AsyncConnection, row: sa.Row, listed: list[ChannelMember], now: datetime
) -> list[ChannelMember]:
    humans = [m for m in listed if not m.is_bot]
    keys = [Member(row.platform, row.workspace_id, m.user_id).key for m in humans]
    prefs = {}
    for part in slices(keys):  # a channel may have 100,000 members
        query = sa.select(members.c.member_key, members.c.opted_out, members.c.paused_until)
        for r in await conn.execute(query.where(any_of(conn, members.c.member_key, part))):
            prefs[r.member_key] = r

    def available(key: str) -> bool:
        pref = prefs.get(key)
        if pref is None:
            return True
        return not pref.opted_out and not (pref.paused_until and pref.paused_until > now)

    return [m for m, key in zip(humans, keys, strict=True) if available(key)]


async def _recent_pairs(conn: AsyncConnection, schedule_id: str) -> set[Pair]:
    recent_occurrences = (
        sa.select(schedule_sessions.c.occurrence)
        .where(schedule_sessions.c.schedule_id == schedule_id)
        .order_by(schedule_sessions.c.occurrence.desc())
        .limit(RECENT_SESSIONS)
    )
    rows = await conn.execute(
        sa.select(session_groups.c.member_keys).where(
            session_groups.c.schedule_id == schedule_id,
            session_groups.c.occurrence.in_(recent_occurrences.scalar_subquery()),
        )
    )
    pairs: set[Pair] = set()
    for raw in rows.scalars():
        group = _decode_group(raw)[0]
        pairs.update(frozenset((a, b)) for i, a in enumerate(group) for b in group[i + 1 :])
    return pairs


async def _avoided(conn: AsyncConnection, keys: list[str]) -> set[Pair]:
    pairs: set[Pair] = set()
    for part in slices(keys):
        query = sa.select(avoid_pairs).where(any_of(conn, avoid_pairs.c.member_key, part))
        pairs.update(frozenset((r.member_key, r.avoided_key)) for r in await conn.execute(query))
    return pairs


async def _store_groups(
    conn: AsyncConnection,
    schedule_id: str,
    occurrence: datetime,
    groups: tuple[tuple[str, ...], ...],
    leads: list[str],
) -> None:
    if not groups:
        return
    await insert_rows(
        conn,
        session_groups,
        [
            {
                "schedule_id": schedule_id,
                "occurrence": occurrence,
                "group_no": no,
                "member_keys": json.dumps(
                    {"members": list(g), "leads": [k for k in g if k in leads]}
                ),
                "round_id": None,
            }
            for no, g in enumerate(groups)
        ],
    )


def _decode_group(raw: str) -> tuple[list[str], list[str]]:
    data = json.loads(raw)
    return data["members"], data["leads"]


async def _claim_session(
    conn: AsyncConnection, schedule_id: str, occurrence: datetime, now: datetime
) -> None:
    await conn.execute(
        repo.dialect_insert(conn)(schedule_sessions)
        .values(
            schedule_id=schedule_id,
            occurrence=occurrence,
            status="claimed",
            started_at=now,
            members_count=0,
            groups_count=0,
        )
        .on_conflict_do_nothing()
    )


async def _session_status(
    conn: AsyncConnection, schedule_id: str, occurrence: datetime
) -> str | None:
    return (
        await conn.execute(
            sa.select(schedule_sessions.c.status).where(
                schedule_sessions.c.schedule_id == schedule_id,
                schedule_sessions.c.occurrence == occurrence,
            )
        )
    ).scalar()
