"""Data rights on a real database: answer retention, forget-me and export."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.clock import FakeClock
from bot.engine.model import Accept, AskFollowUp, Rate, RoundStatus, SubmitAnswer
from bot.identity import Member
from bot.service.members import MemberDirectory
from bot.service.privacy import PrivacyService, is_forgotten
from bot.service.rounds import RoundService
from bot.service.workspaces import WorkspaceSettings
from bot.store.database import Database
from bot.store.tables import (
    avoid_pairs,
    members,
    metadata,
    outbox,
    pair_prompts,
    round_members,
    rounds,
)
from tests.integration.test_service import ALICE, BOB, CLEO

RETENTION = timedelta(days=30)


def _answer(member: Member, step: int) -> str:
    return f"{member.user_id}-private-answer-{step}"


def _question(member: Member, step: int) -> str:
    return f"{member.user_id}-private-answer-question-{step}?"


@pytest.fixture
def service(db: Database, tiny_banks: dict, clock: FakeClock) -> RoundService:
    """Follow-ups on: their questions are content too."""
    return RoundService(db, tiny_banks, clock, WorkspaceSettings(default_bank="tiny"))


async def _complete_round(service: RoundService, first: Member, second: Member) -> str:
    started = await service.start_round([first, second], initiator=first)
    assert started.round_id
    round_id = started.round_id
    assert (await service.act(round_id, Accept(second.key))).ok
    while True:
        state = await service.load(round_id)
        assert state is not None
        if state.status is RoundStatus.COMPLETED:
            return round_id
        if state.follow_up is not None:
            for member in (first, second):
                question = _question(member, state.follow_up.after_step)
                assert (await service.act(round_id, AskFollowUp(member.key, question))).ok
            continue
        assert state.current is not None, state.status
        for member in (first, second):
            outcome = await service.act(
                round_id, SubmitAnswer(member.key, _answer(member, state.current.number))
            )
            assert outcome.ok, outcome.message


async def _everything(db: Database) -> str:
    """Every row of every table, as one text to search."""
    dump = []
    async with db.transaction() as conn:
        for table in metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in await conn.execute(sa.select(table))]
    return "\n".join(dump)


@pytest.fixture
def privacy(db: Database, clock: FakeClock, service: RoundService) -> PrivacyService:
    return PrivacyService(db, clock, service, RETENTION)


async def _mark_sent(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(outbox.update().values(status="sent"))


# --- retention ------------------------------------------------------------------------------


async def test_answers_are_deleted_once_the_retention_period_has_passed(
    privacy: PrivacyService, service: RoundService, db: Database, clock: FakeClock
) -> None:
    round_id = await _complete_round(service, ALICE, BOB)
    await _mark_sent(db)
    assert _answer(ALICE, 1) in await _everything(db)

    clock.advance(RETENTION - timedelta(minutes=1))
    assert await privacy.purge_expired_answers() == 0
    clock.advance(timedelta(minutes=2))
    assert await privacy.purge_expired_answers() == 1
    assert await privacy.purge_expired_answers() == 0  # done once

    everything = await _everything(db)
    assert "private-answer" not in everything
    state = await service.load(round_id)
    assert state is not None and state.status is RoundStatus.COMPLETED
    assert state.history and all(not record.answers for record in state.history)
    async with db.transaction() as conn:
        reveals = list(await conn.execute(sa.select(outbox).where(outbox.c.kind == "reveal")))
        purged = await conn.scalar(sa.select(rounds.c.answers_purged_at))
    assert reveals and all(json.loads(r.payload)["answers_deleted"] for r in reveals)
    assert purged == clock.now()
    assert (await service.act(round_id, Rate(BOB.key, 6))).ok  # the engine still loads it


async def test_a_reveal_not_yet_sent_keeps_its_answers(
    privacy: PrivacyService, service: RoundService, db: Database, clock: FakeClock
) -> None:
    await _complete_round(service, ALICE, BOB)  # every delivery still pending
    clock.advance(RETENTION + timedelta(days=1))
    assert await privacy.purge_expired_answers() == 0
    await _mark_sent(db)
    assert await privacy.purge_expired_answers() == 1


async def test_retention_zero_keeps_answers(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    keeper = PrivacyService(db, clock, service, retention=None)
    await _complete_round(service, ALICE, BOB)
    await _mark_sent(db)
    clock.advance(timedelta(days=3650))
    assert await keeper.purge_expired_answers() == 0
    assert _answer(BOB, 1) in await _everything(db)


async def test_open_rounds_keep_their_answers(
    privacy: PrivacyService, service: RoundService, db: Database, clock: FakeClock
) -> None:
    started = await service.start_round([ALICE, BOB], initiator=ALICE)
    assert started.round_id
    await service.act(started.round_id, Accept(BOB.key))
    await service.act(started.round_id, SubmitAnswer(ALICE.key, "still open"))
    clock.advance(RETENTION * 2)
    assert await privacy.purge_expired_answers() == 0


# --- forget me ------------------------------------------------------------------------------


async def test_forget_me_removes_everything_about_the_member(
    privacy: PrivacyService, service: RoundService, db: Database, clock: FakeClock
) -> None:
    directory = MemberDirectory(db, clock)
    await directory.set_timezone(ALICE, "Europe/Berlin")
    await directory.remember_dm_channel(ALICE, "D-ALICE")
    await directory.set_timezone(BOB, "Europe/Paris")
    async with db.transaction() as conn:
        await conn.execute(
            avoid_pairs.insert(),
            [
                {"member_key": ALICE.key, "avoided_key": CLEO.key},
                {"member_key": CLEO.key, "avoided_key": ALICE.key},
            ],
        )
    done = await _complete_round(service, ALICE, BOB)
    await service.act(done, Rate(ALICE.key, 7))
    open_round = await service.start_round([CLEO, ALICE], initiator=CLEO)
    assert open_round.round_id

    outcome = await privacy.forget_me(ALICE)
    assert outcome.ok

    everything = await _everything(db)
    assert ALICE.key not in everything and "alice" not in everything
    assert "D-ALICE" not in everything and "Europe/Berlin" not in everything
    assert _answer(BOB, 1) in everything  # Bob's own answers are his
    async with db.transaction() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(avoid_pairs)) == 0
        assert await conn.scalar(sa.select(sa.func.count()).select_from(pair_prompts)) == 0
        assert set(await conn.scalars(sa.select(members.c.member_key))) == {BOB.key}
        keys = list(await conn.scalars(sa.select(round_members.c.member_key)))
        told = list(
            await conn.execute(
                sa.select(outbox).where(
                    outbox.c.member_key == CLEO.key, outbox.c.kind == "partner_left"
                )
            )
        )
    assert {BOB.key, CLEO.key} < set(keys) and sum(1 for k in keys if is_forgotten(k)) == 2
    assert len(told) == 1  # the others are told kindly that someone left

    completed = await service.load(done)
    assert completed is not None
    assert completed.status is RoundStatus.COMPLETED and BOB.key in completed.members
    assert [m for m in completed.members if is_forgotten(m)]
    assert all(list(record.answers) == [BOB.key] for record in completed.history)
    assert ALICE.key not in completed.ratings
    assert (await service.act(done, Rate(BOB.key, 5))).ok  # the engine still works on it
    left = await service.load(open_round.round_id)
    assert left is not None and left.status is RoundStatus.LEFT
    assert (await service.summaries(BOB)) == []


async def test_forget_me_scrubs_pending_reveals_to_the_partner(
    privacy: PrivacyService, service: RoundService, db: Database
) -> None:
    await _complete_round(service, ALICE, BOB)  # reveals to Bob still queued
    await privacy.forget_me(ALICE)
    async with db.transaction() as conn:
        reveals = list(await conn.execute(sa.select(outbox).where(outbox.c.kind == "reveal")))
    assert reveals and all(r.member_key == BOB.key for r in reveals)
    for reveal in reveals:
        answers = json.loads(reveal.payload)["answers"]
        assert [a["member"] for a in answers] == [BOB.key]


# --- export ---------------------------------------------------------------------------------


async def test_export_has_the_members_data_and_only_their_own_answers(
    privacy: PrivacyService, service: RoundService, db: Database, clock: FakeClock
) -> None:
    await MemberDirectory(db, clock).set_timezone(ALICE, "Europe/Berlin")
    round_id = await _complete_round(service, ALICE, BOB)
    await service.act(round_id, Rate(ALICE.key, 6))

    data = await privacy.export(ALICE)

    text = privacy.export_json(data)
    assert json.loads(text) == data
    assert data["member"] == {"platform": "test", "workspace_id": "T1", "user_id": "alice"}
    assert data["settings"]["timezone"] == "Europe/Berlin"
    [exported] = data["rounds"]
    assert exported["round_id"] == round_id and exported["status"] == "completed"
    assert exported["your_rating"] == 6 and exported["ended_at"]
    answers = [a["answer"] for a in exported["your_answers"]]
    assert answers == [_answer(ALICE, a["step"]) for a in exported["your_answers"]]
    prompts = [a for a in exported["your_answers"] if not a["follow_up"]]
    follow_ups = [a for a in exported["your_answers"] if a["follow_up"]]
    assert len(prompts) == 6 and all(a["prompt"] for a in prompts)
    assert len(follow_ups) == 5  # after every reveal but the last
    questions = exported["your_follow_up_questions"]
    assert len(questions) == 5
    assert all(q["question"].startswith("alice-private-answer-question-") for q in questions)
    assert "bob-private-answer" not in text  # neither Bob's answers nor his questions


async def test_export_after_forget_me_is_empty(
    privacy: PrivacyService, service: RoundService
) -> None:
    await _complete_round(service, ALICE, BOB)
    await privacy.forget_me(ALICE)
    data = await privacy.export(ALICE)
    assert data["settings"] is None and data["rounds"] == [] and data["avoiding"] == []
