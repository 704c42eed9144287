"""Leads' reports on a real database: the session report's counts, its follow-up a week later
(the fake clock), stats with a chart, the monthly digest and `/rapport inbox`'s reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import FakeClock
from bot.engine.model import Accept, DeliveryKind, Rate, SubmitAnswer
from bot.identity import Member
from bot.reports.inbox import InboxService
from bot.reports.service import ReportService
from bot.reports.sessions import SETTLE_WAIT
from bot.service.members import MemberDirectory
from bot.service.ports import ChannelMember
from bot.service.rounds import RoundService
from bot.service.schedules import ScheduleService
from bot.store.database import Database
from bot.store.tables import lead_reports, outbox, rounds
from tests.fakes.directory import FakeDirectory

LEAD = Member("test", "T1", "lead")
NAMES = [
    "lead",
    "anouk",
    "bartholomew",
    "cosima",
    "dagobert",
    "eudora",
    "fitzgerald",
    "gwendolyn",
    "horatio",
]  # nine people, with names no figure could spell by chance
WEEKLY = "every:1 day:mon time:10:00 tz:Europe/Berlin"


@pytest.fixture
def directory() -> FakeDirectory:
    people = [ChannelMember(name, is_lead=name == "lead") for name in NAMES]
    fake = FakeDirectory()
    fake.put("T1", "C1", [*people, ChannelMember("botty", is_bot=True)])
    return fake


@pytest.fixture
def sessions(
    db: Database, service: RoundService, clock: FakeClock, directory: FakeDirectory
) -> ScheduleService:
    return ScheduleService(db, service, clock, {"test": directory})


@pytest.fixture
def reports(db: Database, clock: FakeClock) -> ReportService:
    return ReportService(db, clock)


async def _queued(db: Database, kind: DeliveryKind) -> list[tuple[str, dict[str, Any]]]:
    async with db.transaction() as conn:
        rows = await conn.execute(
            sa.select(outbox.c.member_key, outbox.c.payload)
            .where(outbox.c.kind == kind.value)
            .order_by(outbox.c.id)
        )
        return [(key, json.loads(payload)) for key, payload in rows]


async def _settle_invitations(db: Database, closed: str | None) -> None:
    """The outbox delivered every invitation; Discord refused the one to `closed` (50007)."""
    async with db.transaction() as conn:
        await conn.execute(
            outbox.update().where(outbox.c.kind == "invitation").values(status="sent")
        )
        if closed is not None:
            await conn.execute(
                outbox.update()
                .where(outbox.c.kind == "invitation", outbox.c.member_key == closed)
                .values(status="failed", error="dms_closed")
            )


async def _session(db: Database, sessions: ScheduleService, opted_out: str = "horatio") -> str:
    await MemberDirectory(db, sessions.clock).set_opted_out(Member("test", "T1", opted_out), True)
    added = await sessions.add(LEAD, True, "C1", WEEKLY)
    assert added.code
    assert (await sessions.run_now(LEAD, True, added.code)).ok
    return added.code


async def test_the_session_report_counts_who_was_left_out_and_why(
    db: Database, sessions: ScheduleService, reports: ReportService, clock: FakeClock
) -> None:
    schedule_id = await _session(db, sessions)
    closed = Member("test", "T1", "anouk").key
    assert await reports.run_due() == 0  # the invitations are still on their way

    await _settle_invitations(db, closed)
    assert await reports.run_due() == 1
    assert await reports.run_due() == 0  # sent once, however often the tick runs
    [(to, report)] = await _queued(db, DeliveryKind.SESSION_REPORT)
    assert to == LEAD.key
    expected = {"found": 10, "people": 9, "bots": 1, "opted_out": 1, "paused": 0}
    assert {k: report[k] for k in expected} == expected
    assert (report["no_partner"], report["paired"], report["pairs"], report["trios"]) == (
        0,
        8,
        4,
        0,
    )
    assert (report["delivered"], report["failed"], report["dms_closed"]) == (7, 1, 1)
    assert not report["withheld"] and report["schedule_id"] == schedule_id
    assert not any(name in json.dumps(report) for name in NAMES[1:])  # counts, never names
    [(channel, notice)] = await _queued(db, DeliveryKind.DMS_CLOSED_NOTICE)
    assert channel == Member.channel("test", "T1", "C1").key and notice == {"members": [closed]}

    [listed] = await sessions.list_for("test", "T1")
    assert listed.last_run is not None
    assert "4 pairs, 0 trios · 7 of 8 invitations delivered, 1 with DMs closed" in listed.last_run


async def test_a_report_stops_waiting_for_invitations_after_a_while(
    db: Database, sessions: ScheduleService, reports: ReportService, clock: FakeClock
) -> None:
    await _session(db, sessions)
    clock.advance(SETTLE_WAIT + timedelta(seconds=1))
    assert await reports.run_due() == 1
    [(_, report)] = await _queued(db, DeliveryKind.SESSION_REPORT)
    assert (report["delivered"], report["pending"]) == (0, 8)


async def test_the_follow_up_comes_a_week_later_with_content_free_figures(
    db: Database,
    sessions: ScheduleService,
    reports: ReportService,
    service: RoundService,
    clock: FakeClock,
) -> None:
    await _session(db, sessions)
    await _settle_invitations(db, None)
    await reports.run_due()
    async with db.transaction() as conn:
        round_ids = list(await conn.scalars(sa.select(rounds.c.id).order_by(rounds.c.id)))
    for number, round_id in enumerate(round_ids[:3]):  # three of the four pairs take part
        state = await service.load(round_id)
        assert state is not None
        for member in state.members:
            await service.act(round_id, Accept(member))
        if number < 2:
            for member in state.members:
                await service.act(round_id, SubmitAnswer(member, "a secret answer"))
                await service.act(round_id, Rate(member, 6))

    clock.advance(timedelta(days=6, hours=23))
    assert await reports.run_due() == 0
    assert await _queued(db, DeliveryKind.REPORT_FOLLOW_UP) == []
    clock.advance(timedelta(hours=1))
    assert await reports.run_due() == 1
    [(to, follow_up)] = await _queued(db, DeliveryKind.REPORT_FOLLOW_UP)
    assert to == LEAD.key
    assert (follow_up["groups"], follow_up["accepted"]) == (4, 3)
    assert follow_up["depths"] == {"0": 2, "1": 2}
    assert follow_up["figures"]["funnel"][0] == 2 and follow_up["figures"]["people"] == 8
    assert "secret" not in json.dumps(follow_up)
    assert not any(name in json.dumps(follow_up) for name in NAMES)


async def test_stats_are_for_leads_only_and_say_how_many_more_are_needed(
    db: Database, sessions: ScheduleService, reports: ReportService, service: RoundService
) -> None:
    refused = await reports.stats(Member("test", "T1", "anouk"), False)
    assert not refused.ok and refused.chart is None and "Only team leads" in refused.text
    empty = await reports.stats(LEAD, True)
    assert empty.chart is None and "5 more needed" in empty.text

    await _session(db, sessions)
    async with db.transaction() as conn:
        round_ids = list(await conn.scalars(sa.select(rounds.c.id)))
    for round_id in round_ids:
        state = await service.load(round_id)
        assert state is not None
        for member in state.members:
            await service.act(round_id, Accept(member))
        for member in state.members:
            await service.act(round_id, SubmitAnswer(member, "private words"))
    shown = await reports.stats(LEAD, True, "C1")
    assert shown.ok and shown.chart is not None
    assert shown.text.startswith("Last 30 days · 8 people · 4 rounds, 0 completed")
    assert "both answered 100% at layer 1" in shown.text
    assert "Balance check-ins: 0 rounds of 4 paused to check in" in shown.text  # issue 16
    for text in (shown.text, shown.chart.alt):
        assert "private" not in text and not any(name in text for name in NAMES)
    assert shown.chart.png.startswith(b"\x89PNG")
    other_channel = await reports.stats(LEAD, True, "C2")
    assert other_channel.chart is None and "at least 5 people" in other_channel.text


async def test_the_monthly_digest_comes_in_the_leads_daytime_until_switched_off(
    db: Database, reports: ReportService, clock: FakeClock
) -> None:
    assert not (await reports.set_digest(Member("test", "T1", "anouk"), False, True)).ok
    await MemberDirectory(db, clock).set_timezone(LEAD, "America/New_York")
    clock.set(datetime(2026, 3, 17, 15, 0, tzinfo=UTC))
    assert (await reports.set_digest(LEAD, True, True)).ok
    assert (await reports.set_digest(LEAD, True, True)).ok  # on twice: still one digest
    async with db.transaction() as conn:
        [due] = list(await conn.scalars(sa.select(lead_reports.c.due_at)))
    assert due == datetime(2026, 4, 1, 12, 0, tzinfo=UTC)  # 08:00 in New York (EDT)

    clock.set(due - timedelta(minutes=1))
    assert await reports.run_due() == 0
    clock.set(due)
    assert await reports.run_due() == 1
    [(to, digest)] = await _queued(db, DeliveryKind.STATS_DIGEST)
    assert to == LEAD.key and digest["month"] == "March 2026"
    async with db.transaction() as conn:
        [next_due] = list(
            await conn.scalars(
                sa.select(lead_reports.c.due_at).where(lead_reports.c.status == "pending")
            )
        )
    assert next_due == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    off = await reports.set_digest(LEAD, True, False)
    assert off.ok and "off" in off.message
    assert "already off" in (await reports.set_digest(LEAD, True, False)).message


async def test_the_inbox_holds_the_invitation_and_the_reveals_a_member_could_not_get(
    db: Database, sessions: ScheduleService, service: RoundService, clock: FakeClock
) -> None:
    await _session(db, sessions)
    inbox = InboxService(db, clock)
    anouk = Member("test", "T1", "anouk")
    [invitation] = await inbox.items(anouk)
    assert invitation.kind is DeliveryKind.INVITATION
    assert await inbox.waits_for_inbox(invitation.round_id)

    state = await service.load(invitation.round_id)
    assert state is not None
    for member in state.members:
        await service.act(state.id, Accept(member))
    [prompt] = await inbox.items(anouk)
    assert prompt.kind is DeliveryKind.PROMPT and prompt.data["step"] == 1
    for member in state.members:
        await service.act(state.id, SubmitAnswer(member, f"words of {member}"))
    async with db.transaction() as conn:  # Discord refused the reveal: DMs closed
        await conn.execute(
            outbox.update()
            .where(outbox.c.kind == "reveal", outbox.c.member_key == anouk.key)
            .values(status="failed", error="dms_closed")
        )
    items = await inbox.items(anouk)  # a daily pace: the next prompt comes tomorrow morning
    assert [i.kind for i in items] == [DeliveryKind.REVEAL]
    assert [a["text"] for a in items[0].data["answers"]] == [
        f"words of {m}" for m in state.members
    ]
    await inbox.mark_seen(items)
    assert await inbox.items(anouk) == []
    assert await inbox.items(Member("test", "T2", "anouk")) == []  # another workspace's anouk
