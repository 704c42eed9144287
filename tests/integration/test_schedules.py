"""Recurring sessions on a real database: commands, pairing, idempotency, grace, resumption."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pytest import MonkeyPatch

from bot.clock import FakeClock
from bot.engine.recurrence import Recurrence
from bot.identity import Member
from bot.service.members import MemberDirectory
from bot.service.ports import ChannelMember
from bot.service.rounds import RoundService
from bot.service.scheduler import cron_trigger
from bot.service.schedules import ScheduleService
from bot.store.database import Database
from bot.store.tables import outbox, rounds, schedule_sessions, schedules, session_groups
from tests.fakes.directory import FakeDirectory

LEAD = Member("test", "T1", "lead")
WEEKLY = "every:1 day:mon time:10:00 tz:Europe/Berlin"


@pytest.fixture
def directory() -> FakeDirectory:
    people = [ChannelMember("lead", is_lead=True)] + [ChannelMember(f"u{i}") for i in range(6)]
    people.append(ChannelMember("botty", is_bot=True))
    fake = FakeDirectory()
    fake.put("T1", "C1", people)
    return fake


@pytest.fixture
def sessions(
    db: Database, service: RoundService, clock: FakeClock, directory: FakeDirectory
) -> ScheduleService:
    return ScheduleService(db, service, clock, {"test": directory})


async def _invitations(db: Database) -> Counter[str]:
    async with db.transaction() as conn:
        rows = await conn.execute(
            sa.select(outbox.c.member_key).where(outbox.c.kind == "invitation")
        )
        return Counter(rows.scalars())


async def _schedule_id(sessions: ScheduleService, text: str = WEEKLY) -> str:
    outcome = await sessions.add(LEAD, True, "C1", text)
    assert outcome.ok, outcome.message
    assert outcome.code
    return outcome.code


async def _run_a_session(sessions: ScheduleService, db: Database) -> list[str]:
    """The lead schedules the team and runs a session now; the ids of the rounds it started."""
    await sessions.run_now(LEAD, True, await _schedule_id(sessions))
    async with db.transaction() as conn:
        return list((await conn.execute(sa.select(rounds.c.id))).scalars())


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("every:5 day:mon time:10:00 tz:UTC", "every:5"),
        ("every:1 day:funday time:10:00 tz:UTC", "day:funday"),
        ("every:1 day:mon time:25:00 tz:UTC", "time:25:00"),
        ("every:1 day:mon time:10:00 tz:Mars/Olympus", "tz:Mars/Olympus"),
        ("every:1 day:mon time:10:00 tz:UTC depth:9", "depth:9"),
        ("every:1 day:mon time:10:00", "tz"),
        ("every:1 day:mon time:10:00 tz:UTC colour:blue", "colour"),
    ],
)
async def test_invalid_schedules_get_a_message_naming_the_problem(
    sessions: ScheduleService, db: Database, text: str, named: str
) -> None:
    outcome = await sessions.add(LEAD, True, "C1", text)
    assert not outcome.ok and named in outcome.message
    assert await sessions.list_for("test", "T1") == []


async def test_non_leads_are_refused_and_nothing_changes(sessions: ScheduleService) -> None:
    schedule_id = await _schedule_id(sessions)
    member = Member("test", "T1", "u1")
    for outcome in (
        await sessions.add(member, False, "C1", WEEKLY),
        await sessions.set_status(member, False, schedule_id, "remove"),
        await sessions.run_now(member, False, schedule_id),
    ):
        assert outcome.code == "not_lead" and "lead" in outcome.message
    (view,) = await sessions.list_for("test", "T1")
    assert view.status == "active"


async def test_a_session_pairs_the_channel_and_posts_a_summary(
    sessions: ScheduleService, db: Database, clock: FakeClock
) -> None:
    await MemberDirectory(db, clock).set_opted_out(Member("test", "T1", "u5"), True)
    schedule_id = await _schedule_id(sessions)
    report = await sessions.run_now(LEAD, True, schedule_id)
    assert report.ok and "3 groups started" in report.message
    invited = await _invitations(db)
    humans = {Member("test", "T1", u).key for u in ["lead", "u0", "u1", "u2", "u3", "u4"]}
    assert set(invited) == humans and set(invited.values()) == {1}
    async with db.transaction() as conn:
        summary = (
            await conn.execute(sa.select(outbox).where(outbox.c.kind == "session_summary"))
        ).one()
        started = (await conn.execute(sa.select(sa.func.count()).select_from(rounds))).scalar()
    assert summary.member_key == "test:T1:#C1"
    assert json.loads(summary.payload)["groups"] == 3 and started == 3


async def test_running_the_same_occurrence_twice_invites_nobody_twice(
    sessions: ScheduleService, db: Database, clock: FakeClock
) -> None:
    schedule_id = await _schedule_id(sessions)
    async with db.transaction() as conn:
        row = (await conn.execute(sa.select(schedules))).one()
    occurrence = clock.now()
    await sessions.run_occurrence(row, occurrence)
    await sessions.run_occurrence(row, occurrence)
    assert set((await _invitations(db)).values()) == {1}
    assert schedule_id


async def test_a_half_done_session_is_resumed_without_duplicates(
    sessions: ScheduleService, db: Database, clock: FakeClock
) -> None:
    await _schedule_id(sessions)
    async with db.transaction() as conn:
        row = (await conn.execute(sa.select(schedules))).one()
    occurrence = clock.now()
    groups = await sessions._pair_once(row, occurrence)
    first_no, keys, leads, _ = groups[0]
    await sessions._start_groups(row, occurrence, [(first_no, keys, leads)])  # then it died
    assert sum((await _invitations(db)).values()) == len(keys)
    await sessions.run_due()
    invited = await _invitations(db)
    assert len(invited) == 7 and set(invited.values()) == {1}  # every human, never the bot
    async with db.transaction() as conn:
        status = (await conn.execute(sa.select(schedule_sessions.c.status))).scalar()
    assert status == "done"


async def test_a_lead_paired_with_a_member_gets_hierarchy_safe_prompts(
    sessions: ScheduleService, db: Database, service: RoundService
) -> None:
    round_ids = await _run_a_session(sessions, db)
    states = [await service.load(r) for r in round_ids]
    with_lead = [s for s in states if s and LEAD.key in s.members]
    without = [s for s in states if s and LEAD.key not in s.members]
    assert len(with_lead) == 1 and with_lead[0].settings.hierarchy_safe_only
    assert all(not s.settings.hierarchy_safe_only for s in without)


async def test_consecutive_sessions_avoid_repeating_partners(
    sessions: ScheduleService, db: Database, clock: FakeClock
) -> None:
    schedule_id = await _schedule_id(sessions)
    seen: set[frozenset[str]] = set()
    for _ in range(3):
        await sessions.run_now(LEAD, True, schedule_id)
        async with db.transaction() as conn:
            latest = (
                await conn.execute(sa.select(sa.func.max(session_groups.c.occurrence)))
            ).scalar()
            groups = (
                await conn.execute(
                    sa.select(session_groups.c.member_keys).where(
                        session_groups.c.occurrence == latest
                    )
                )
            ).scalars()
            pairs = set()
            for raw in groups:
                group = json.loads(raw)["members"]
                pairs |= {frozenset((a, b)) for a in group for b in group if a < b}
        assert not pairs & seen
        seen |= pairs
        clock.advance(timedelta(days=7))
        async with db.transaction() as conn:  # let the rounds end so the next pairs can start
            await conn.execute(sa.text("UPDATE round_members SET open = false"))


async def test_a_missed_session_runs_within_grace_and_is_skipped_after(
    sessions: ScheduleService, db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.service.schedules")
    clock.set(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # Monday 08:00 in Berlin
    await _schedule_id(sessions)
    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))  # 2 h after 10:00 Berlin: within grace
    await sessions.run_due()
    assert len(await _invitations(db)) == 7
    clock.set(datetime(2026, 3, 9, 16, 30, tzinfo=UTC))  # 7.5 h late for the next one: skipped
    await sessions.run_due()
    await sessions.run_due()
    assert set((await _invitations(db)).values()) == {1}
    (view,) = await sessions.list_for("test", "T1")
    assert view.last_skip and "missed" in view.last_skip
    assert view.next_run and "16 March" in view.next_run
    # one line each for an operator: fired, started, ended, skipped; counts, never names
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.service.schedules"]
    fired, started, ended, skipped = lines
    assert fired.endswith("the session of 2026-03-02T09:00:00+00:00 fired")
    assert started.endswith("started: members 7, groups 3, not paired 0")
    assert ended.endswith("ended: groups started 3 (trios 1), not paired 0")
    assert "skipped the session of 2026-03-09T09:00:00+00:00" in skipped
    assert not any(name in " ".join(lines) for name in ("lead", "u0", "u1", "C1"))


def test_the_cron_trigger_agrees_with_the_recurrence_across_dst() -> None:
    rec = Recurrence(
        1, 0, datetime(2026, 1, 1, 10, 0).time(), "Europe/Berlin", datetime(2026, 1, 5).date()
    )
    trigger = cron_trigger(rec)
    moment = datetime(2026, 3, 16, tzinfo=UTC)
    for _ in range(4):
        expected = rec.next_after(moment)
        fired = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        assert fired == expected
        moment = expected


async def test_a_session_of_one_pair_says_one_group(
    sessions: ScheduleService, directory: FakeDirectory
) -> None:
    directory.put("T1", "C1", [ChannelMember("lead", is_lead=True), ChannelMember("u0")])
    report = await sessions.run_now(LEAD, True, await _schedule_id(sessions))
    assert report.ok and report.message.startswith("1 group started ·"), report.message


async def test_a_large_session_in_many_chunks_analyzes_as_it_goes_and_invites_once(
    sessions: ScheduleService, db: Database, directory: FakeDirectory, monkeypatch: MonkeyPatch
) -> None:
    """Chunks of 2 groups and the large-session path (ANALYZE on PostgreSQL) for 41 people."""
    from bot.service import schedules as module

    monkeypatch.setattr(module, "START_CHUNK", 2)
    monkeypatch.setattr(module, "ANALYZE_MIN_GROUPS", 1)
    people = [ChannelMember("lead", is_lead=True)] + [ChannelMember(f"m{i}") for i in range(40)]
    directory.put("T1", "C1", people)
    round_ids = await _run_a_session(sessions, db)
    assert len(round_ids) == 20  # 19 pairs and a trio
    invited = await _invitations(db)
    assert len(invited) == 41 and set(invited.values()) == {1}
    if not db.is_sqlite:
        async with db.transaction() as conn:
            analyzed = await conn.execute(
                sa.text(
                    "SELECT relname FROM pg_stat_user_tables WHERE relname IN "
                    "('outbox', 'round_members') AND last_analyze IS NOT NULL"
                )
            )
            assert sorted(analyzed.scalars()) == ["outbox", "round_members"]
