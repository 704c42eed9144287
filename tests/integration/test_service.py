"""The service on a real database: one transaction per command, outbox, idempotency, races."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import FakeClock
from bot.engine.model import Accept, DeliveryKind, RoundStatus, SubmitAnswer, Swap
from bot.identity import Member
from bot.service.members import MemberDirectory
from bot.service.rounds import RoundService
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import outbox, processed_events, rounds

ALICE = Member("test", "T1", "alice")
BOB = Member("test", "T1", "bob")
CLEO = Member("test", "T1", "cleo")


async def _outbox(db: Database) -> list[sa.Row]:
    async with db.transaction() as conn:
        return list(await conn.execute(sa.select(outbox).order_by(outbox.c.id)))


async def _active_round(service: RoundService) -> str:
    started = await service.start_round([ALICE, BOB], initiator=ALICE)
    assert started.ok and started.round_id
    accepted = await service.act(started.round_id, Accept(BOB.key))
    assert accepted.ok
    return started.round_id


async def test_state_and_its_messages_are_committed_together(
    service: RoundService, db: Database
) -> None:
    round_id = await _active_round(service)
    rows = await _outbox(db)
    assert [(r.member_key, r.kind) for r in rows] == [
        (BOB.key, "invitation"),
        (ALICE.key, "invitation_accepted"),
        (ALICE.key, "prompt"),
        (BOB.key, "prompt"),
    ]
    state = await service.load(round_id)
    assert state is not None and state.status is RoundStatus.ACTIVE
    prompt = json.loads(rows[-1].payload)
    assert prompt["prompt_id"] == state.current.prompt_id  # type: ignore[union-attr]


async def test_a_rejected_command_writes_nothing(service: RoundService, db: Database) -> None:
    round_id = await _active_round(service)
    before = await _outbox(db)
    outcome = await service.act(round_id, SubmitAnswer(ALICE.key, "   "), event_key="evt-empty")
    assert not outcome.ok and "empty" in outcome.message
    assert await _outbox(db) == before
    async with db.transaction() as conn:
        claimed = await conn.execute(sa.select(sa.func.count()).select_from(processed_events))
        assert claimed.scalar() == 0


async def test_a_repeated_event_changes_nothing_the_second_time(
    service: RoundService, db: Database
) -> None:
    round_id = await _active_round(service)
    first = await service.act(round_id, SubmitAnswer(ALICE.key, "hello"), event_key="evt-1")
    rows = await _outbox(db)
    again = await service.act(round_id, SubmitAnswer(ALICE.key, "hello"), event_key="evt-1")
    assert first.ok and again.duplicate
    assert await _outbox(db) == rows


async def test_forged_round_ids_and_outsiders_change_nothing(
    service: RoundService, db: Database
) -> None:
    round_id = await _active_round(service)
    before = await _outbox(db)
    forged = await service.act("doesnotexist", SubmitAnswer(ALICE.key, "hi"))
    outsider = await service.act(round_id, Swap(CLEO.key))
    assert (forged.code, outsider.code) == ("unknown_round", "not_member")
    assert await _outbox(db) == before


async def test_two_answers_in_the_same_instant_give_one_reveal_and_one_advance(
    service: RoundService, db: Database
) -> None:
    round_id = await _active_round(service)
    results = await asyncio.gather(
        service.act(round_id, SubmitAnswer(ALICE.key, "from alice")),
        service.act(round_id, SubmitAnswer(BOB.key, "from bob")),
    )
    assert all(r.ok for r in results)
    kinds = [r.kind for r in await _outbox(db)]
    assert kinds.count("reveal") == 2  # one per member
    assert kinds.count("prompt") == 4  # the first prompt and exactly one next prompt, each x2
    state = await service.load(round_id)
    assert state is not None and state.revealed_in_layer == 1 and len(state.history) == 1


async def test_a_plain_dm_reply_answers_the_waiting_prompt(service: RoundService) -> None:
    round_id = await _active_round(service)
    outcome = await service.answer_from_dm(ALICE, "typed in the DM", event_key="dm-1")
    assert outcome.ok and outcome.round_id == round_id
    nothing = await service.answer_from_dm(ALICE, "again", event_key="dm-2")
    assert nothing.code == "no_prompt"


async def test_no_prompt_is_repeated_for_the_pair_in_a_later_round(
    service: RoundService,
) -> None:
    first_round = await _active_round(service)
    for _ in range(6):
        for member in (ALICE, BOB):
            await service.act(first_round, SubmitAnswer(member.key, "fine"))
    first = await service.load(first_round)
    assert first is not None and first.status is RoundStatus.COMPLETED
    second_round = await _active_round(service)
    second = await service.load(second_round)
    assert second is not None and second.current is not None
    assert second.current.prompt_id not in {r.prompt_id for r in first.history}


async def test_opted_out_members_cannot_be_invited(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    await MemberDirectory(db, clock).set_opted_out(BOB, True)
    outcome = await service.start_round([ALICE, BOB], initiator=ALICE)
    assert not outcome.ok and outcome.code == "unavailable"
    async with db.transaction() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(rounds))).scalar() == 0


async def test_a_pair_cannot_run_two_rounds_at_once(service: RoundService) -> None:
    await _active_round(service)
    again = await service.start_round([BOB, ALICE], initiator=BOB)
    assert again.code == "already_running"


async def test_unknown_bank_gets_a_clear_message(service: RoundService) -> None:
    outcome = await service.start_round([ALICE, BOB], initiator=ALICE, bank="nope")
    assert not outcome.ok and "nope" in outcome.message and "tiny" in outcome.message


async def test_answering_cancels_a_queued_reminder(
    service: RoundService, db: Database, clock: FakeClock
) -> None:
    from datetime import timedelta

    round_id = await _active_round(service)
    clock.advance(timedelta(hours=25))
    await service.run_due()
    reminders = [r for r in await _outbox(db) if r.kind == DeliveryKind.REMINDER.value]
    assert {r.status for r in reminders} == {"pending"} and len(reminders) == 2
    await service.act(round_id, SubmitAnswer(ALICE.key, "late but here"))
    statuses = {r.member_key: r.status for r in await _outbox(db) if r.kind == "reminder"}
    assert statuses == {ALICE.key: "cancelled", BOB.key: "pending"}


async def test_commands_arriving_together_share_a_batch_yet_stay_independent(
    service: RoundService, db: Database
) -> None:
    round_id = await _active_round(service)
    good, empty, repeat = await asyncio.gather(
        service.act(round_id, SubmitAnswer(ALICE.key, "kept"), event_key="e-1"),
        service.act(round_id, SubmitAnswer(BOB.key, ""), event_key="e-2"),
        service.act(round_id, SubmitAnswer(ALICE.key, "kept"), event_key="e-1"),
    )
    assert good.ok and not good.duplicate
    assert empty.code == "empty_answer"
    assert repeat.duplicate
    state = await service.load(round_id)
    assert state is not None and set(state.current.answers) == {ALICE.key}  # type: ignore[union-attr]
    retried = await service.act(round_id, SubmitAnswer(BOB.key, "now with words"), event_key="e-2")
    assert retried.ok, "a refused event id must not block a corrected retry"


async def test_a_round_changed_by_another_process_is_reloaded_not_overwritten(
    service: RoundService, db: Database, tiny_banks: dict, clock: FakeClock
) -> None:
    round_id = await _active_round(service)
    other_process = RoundService(db, tiny_banks, clock)
    assert (await other_process.act(round_id, SubmitAnswer(ALICE.key, "via process two"))).ok
    outcome = await service.act(round_id, SubmitAnswer(BOB.key, "via process one"))
    assert outcome.ok
    state = await service.load(round_id)
    assert state is not None and state.revealed_in_layer == 1
    revealed = state.history[-1].answers
    assert {a.text for a in revealed.values()} == {"via process two", "via process one"}


async def _version(db: Database, round_id: str) -> int:
    async with db.transaction() as conn:
        return int(await conn.scalar(sa.select(rounds.c.version).where(rounds.c.id == round_id)))


async def test_a_round_two_commands_of_one_batch_changed_is_written_once(
    service: RoundService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_id = await _active_round(service)
    before = await _version(db, round_id)
    written: list[list[tuple[str, int, int]]] = []
    real_update_rounds = repo.update_rounds

    async def recording(conn: Any, items: Any, now: Any) -> None:
        written.append([(state.id, stored, version) for state, stored, version in items])
        await real_update_rounds(conn, items, now)

    monkeypatch.setattr(repo, "update_rounds", recording)
    both = await asyncio.gather(
        service.act(round_id, SubmitAnswer(ALICE.key, "first")),
        service.act(round_id, SubmitAnswer(BOB.key, "second")),
    )
    assert all(outcome.ok for outcome in both)
    assert written == [[(round_id, before, before + 2)]]  # one write, checked against `before`
    assert await _version(db, round_id) == before + 2
    state = await service.load(round_id)
    assert state is not None and state.revealed_in_layer == 1


async def test_a_stale_round_in_a_batch_retries_every_command_on_its_own(
    service: RoundService, db: Database, tiny_banks: dict, clock: FakeClock
) -> None:
    first = await _active_round(service)
    started = await service.start_round([ALICE, CLEO], initiator=ALICE)
    assert started.round_id and (await service.act(started.round_id, Accept(CLEO.key))).ok
    other_process = RoundService(db, tiny_banks, clock)
    assert (await other_process.act(first, SubmitAnswer(ALICE.key, "via process two"))).ok
    stale, fresh = await asyncio.gather(  # `service` still caches `first` at the old version
        service.act(first, SubmitAnswer(BOB.key, "via process one")),
        service.act(started.round_id, SubmitAnswer(CLEO.key, "cleo's")),
    )
    assert stale.ok and fresh.ok
    revealed = await service.load(first)
    assert revealed is not None and revealed.revealed_in_layer == 1
    held = await service.load(started.round_id)
    assert held is not None and set(held.current.answers) == {CLEO.key}  # type: ignore[union-attr]


async def test_dm_replies_arriving_together_each_find_their_own_round(
    service: RoundService, db: Database
) -> None:
    round_id = await _active_round(service)
    alice, bob, cleo = await asyncio.gather(
        service.answer_from_dm(ALICE, "alice by dm", event_key="dm-a"),
        service.answer_from_dm(BOB, "bob by dm", event_key="dm-b"),
        service.answer_from_dm(CLEO, "cleo has no round", event_key="dm-c"),
    )
    assert alice.ok and bob.ok and alice.round_id == bob.round_id == round_id
    assert cleo.code == "no_prompt"
    state = await service.load(round_id)
    assert state is not None and state.revealed_in_layer == 1
    retry = await service.answer_from_dm(ALICE, "alice by dm", event_key="dm-a")
    assert retry.duplicate
